-- Normalization: case and accent folding, punctuation to spaces, squeezing.
SELECT input, categorize.normalize(input)
  FROM (VALUES
    ('STARBUCKS #1234'),
    ('  Café   AU-LAIT!!  '),
    ('Ñandú Straße Œuvre Æsir Øresund Łódź Čapek'),
    ('crème brûlée à la façon de l''hôtel'),
    ('ÀÁÂÃÄÅ àáâãäå ÈÉÊË ÌÍÎÏ ÒÓÔÕÖ ÙÚÛÜ Ýÿ Ç ç'),
    ('ПРИВЕТ Мир Ёлка ΑΘΗΝΑ'),
    ('tab	and
newline'),
    ('a—b–c…d “quoted” «guillemets» ¿qué? ¡sí!'),
    ('price: 12.50€ × 3 ÷ 2'),
    ('東京 ラーメン'),
    ('AMZN Mktp US*2K4LL9QA3'),
    ('!!!'),
    ('')
  ) AS t(input);

-- NULL in, NULL out (strict)
SELECT categorize.normalize(NULL) IS NULL AS null_is_null;

-- a megabyte of text normalizes to the expected size
SELECT length(categorize.normalize(repeat('Ab-', 350000))) AS normalized_length;
