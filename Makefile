# categorize — PGXS build.
#
# Sources, regression tests, isolation specs and TAP tests are picked up by
# wildcard, so adding a file is enough to build or run it.

EXTENSION   = categorize
MODULE_big  = categorize
OBJS        = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))
EXT_VERSION = 1.0

# The install script is assembled from src/sql/*.sql in name order.
DATA_built  = sql/$(EXTENSION)--$(EXT_VERSION).sql
DATA        = $(sort $(wildcard sql/$(EXTENSION)--*--*.sql))

REGRESS      = $(sort $(basename $(notdir $(wildcard sql/[0-9]*.sql))))
REGRESS_OPTS = --temp-instance=./tmp_regress --temp-config=test/categorize.conf \
               --encoding=UTF8 --no-locale \
               --load-extension=plpgsql

ISOLATION      = $(sort $(basename $(notdir $(wildcard test/isolation/specs/*.spec))))
ISOLATION_OPTS = --inputdir=test/isolation --outputdir=output_iso \
                 --encoding=UTF8 --no-locale \
                 --temp-instance=./tmp_isolation --temp-config=test/categorize.conf

PROVE_TESTS = $(sort $(wildcard test/t/*.pl))
PROVE_FLAGS = -I ./test/perl
ifneq ($(strip $(PROVE_TESTS)),)
TAP_TESTS   = 1
endif

EXTRA_CLEAN = sql/$(EXTENSION)--$(EXT_VERSION).sql tmp_regress tmp_isolation \
              output_iso results regression.diffs regression.out

PG_CPPFLAGS = -Isrc
PG_CFLAGS   = -Wall -Werror -Wmissing-prototypes

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

sql/$(EXTENSION)--$(EXT_VERSION).sql: $(sort $(wildcard src/sql/*.sql))
	cat $^ > $@
