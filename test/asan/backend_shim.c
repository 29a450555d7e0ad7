/*
 * backend_shim.c
 *	  Stand-ins for the few backend functions src/word_index.c calls, so the
 *	  word index can run outside the server under AddressSanitizer with one
 *	  malloc() per allocation (inside the server, palloc() carves many
 *	  allocations from one block and overruns between them go unseen).
 */
#include "postgres.h"

#include <stdio.h>
#include <stdlib.h>

#include "miscadmin.h"
#include "utils/memutils.h"

#undef fprintf

volatile sig_atomic_t InterruptPending = false;

void
ProcessInterrupts(void)
{
}

void *
palloc(Size size)
{
	return malloc(size);
}

void
pfree(void *pointer)
{
	free(pointer);
}

void *
MemoryContextAllocZero(MemoryContext context, Size size)
{
	return calloc(1, size);
}

void *
MemoryContextAllocExtended(MemoryContext context, Size size, int flags)
{
	return (flags & MCXT_ALLOC_ZERO) ? calloc(1, size) : malloc(size);
}

/* ereport() would mean a limit was hit: not expected here */
bool
errstart(int elevel, const char *domain)
{
	fprintf(stderr, "unexpected ereport\n");
	abort();
}

bool
errstart_cold(int elevel, const char *domain)
{
	return errstart(elevel, domain);
}

void
errfinish(const char *filename, int lineno, const char *funcname)
{
	abort();
}

int
errcode(int sqlerrcode)
{
	return 0;
}

int
errmsg(const char *fmt,...)
{
	return 0;
}
