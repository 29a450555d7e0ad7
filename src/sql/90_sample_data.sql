-- categorize install script: a realistic starter set of categories and
-- patterns, loaded on request with categorize.load_sample_data().

CREATE FUNCTION categorize.load_sample_data(OUT categories_added int, OUT patterns_added int)
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- Categories: (name, parent name, color).  Parents come first.
    WITH input(ord, name, parent, color) AS (VALUES
        ( 1, 'Food & Dining',      NULL,               '#e67e22'),
        ( 2, 'Groceries',          'Food & Dining',    '#27ae60'),
        ( 3, 'Restaurants',        'Food & Dining',    '#d35400'),
        ( 4, 'Coffee Shops',       'Food & Dining',    '#6f4e37'),
        ( 5, 'Fast Food',          'Food & Dining',    '#e74c3c'),
        ( 6, 'Food Delivery',      'Food & Dining',    '#f39c12'),
        ( 7, 'Transportation',     NULL,               '#2980b9'),
        ( 8, 'Fuel',               'Transportation',   '#34495e'),
        ( 9, 'Rideshare & Taxi',   'Transportation',   '#000000'),
        (10, 'Public Transit',     'Transportation',   '#16a085'),
        (11, 'Parking & Tolls',    'Transportation',   '#7f8c8d'),
        (12, 'Shopping',           NULL,               '#8e44ad'),
        (13, 'Online Shopping',    'Shopping',         '#ff9900'),
        (14, 'Clothing',           'Shopping',         '#c0392b'),
        (15, 'Electronics',        'Shopping',         '#2c3e50'),
        (16, 'Home & Garden',      'Shopping',         '#f1c40f'),
        (17, 'Bills & Utilities',  NULL,               '#95a5a6'),
        (18, 'Utilities',          'Bills & Utilities','#f39c12'),
        (19, 'Phone & Internet',   'Bills & Utilities','#3498db'),
        (20, 'Rent & Mortgage',    'Bills & Utilities','#7d3c98'),
        (21, 'Insurance',          'Bills & Utilities','#1abc9c'),
        (22, 'Entertainment',      NULL,               '#e91e63'),
        (23, 'Streaming',          'Entertainment',    '#e50914'),
        (24, 'Games',              'Entertainment',    '#107c10'),
        (25, 'Movies & Events',    'Entertainment',    '#9b59b6'),
        (26, 'Health',             NULL,               '#2ecc71'),
        (27, 'Pharmacy',           'Health',           '#27ae60'),
        (28, 'Fitness',            'Health',           '#e67e22'),
        (29, 'Travel',             NULL,               '#00bcd4'),
        (30, 'Flights',            'Travel',           '#0097a7'),
        (31, 'Hotels & Lodging',   'Travel',           '#00838f'),
        (32, 'Income',             NULL,               '#2ecc71'),
        (33, 'Transfers',          NULL,               '#bdc3c7'),
        (34, 'Fees & Charges',     NULL,               '#c0392b'),
        (35, 'Cash & ATM',         NULL,               '#16a085'),
        (36, 'Education',          NULL,               '#3f51b5'),
        (37, 'Pets',               NULL,               '#795548'),
        (38, 'Personal Care',      NULL,               '#ff69b4'),
        (39, 'Gifts & Donations',  NULL,               '#e84393')
    ), added AS (
        INSERT INTO categorize.categories (name, color)
        SELECT name, color FROM input ORDER BY ord
        ON CONFLICT (name) DO NOTHING
        RETURNING 1
    )
    SELECT count(*) INTO categories_added FROM added;

    UPDATE categorize.categories c SET parent_id = p.id
      FROM (VALUES
        ('Groceries','Food & Dining'), ('Restaurants','Food & Dining'),
        ('Coffee Shops','Food & Dining'), ('Fast Food','Food & Dining'),
        ('Food Delivery','Food & Dining'), ('Fuel','Transportation'),
        ('Rideshare & Taxi','Transportation'), ('Public Transit','Transportation'),
        ('Parking & Tolls','Transportation'), ('Online Shopping','Shopping'),
        ('Clothing','Shopping'), ('Electronics','Shopping'), ('Home & Garden','Shopping'),
        ('Utilities','Bills & Utilities'), ('Phone & Internet','Bills & Utilities'),
        ('Rent & Mortgage','Bills & Utilities'), ('Insurance','Bills & Utilities'),
        ('Streaming','Entertainment'), ('Games','Entertainment'),
        ('Movies & Events','Entertainment'), ('Pharmacy','Health'), ('Fitness','Health'),
        ('Flights','Travel'), ('Hotels & Lodging','Travel')
      ) AS rel(child, parent)
      JOIN categorize.categories p ON p.name = rel.parent
     WHERE c.name = rel.child AND c.parent_id IS NULL;

    -- Patterns: (category, kind, value, weight).
    WITH input(category, kind, value, weight) AS (VALUES
        -- Groceries
        ('Groceries','merchant','Whole Foods Market',4), ('Groceries','merchant','Trader Joe''s',4),
        ('Groceries','merchant','Kroger',4), ('Groceries','merchant','Safeway',4),
        ('Groceries','merchant','Aldi',4), ('Groceries','merchant','Lidl',4),
        ('Groceries','merchant','Tesco',4), ('Groceries','merchant','Sainsbury''s',4),
        ('Groceries','merchant','Carrefour',4), ('Groceries','merchant','Mercadona',4),
        ('Groceries','merchant','Rewe',4), ('Groceries','merchant','Edeka',4),
        ('Groceries','merchant','Publix',4), ('Groceries','merchant','Costco',3),
        ('Groceries','keyword','grocery',3), ('Groceries','keyword','groceries',3),
        ('Groceries','keyword','supermarket',3), ('Groceries','keyword','supermercado',3),
        ('Groceries','keyword','supermarché',3), ('Groceries','keyword','supermarkt',3),
        ('Groceries','keyword','mercado',2), ('Groceries','amount_range','10.00-400.00',1),
        -- Restaurants
        ('Restaurants','keyword','restaurant',3), ('Restaurants','keyword','restaurante',3),
        ('Restaurants','keyword','bistro',3), ('Restaurants','keyword','trattoria',3),
        ('Restaurants','keyword','pizzeria',3), ('Restaurants','keyword','sushi',3),
        ('Restaurants','keyword','brasserie',3), ('Restaurants','keyword','taqueria',3),
        ('Restaurants','merchant','Olive Garden',4), ('Restaurants','merchant','Cheesecake Factory',4),
        ('Restaurants','merchant','Applebee''s',4), ('Restaurants','regex','\m(grill|steakhouse|tapas)\M',3),
        ('Restaurants','time','evening',1), ('Restaurants','amount_range','15.00-250.00',1),
        -- Coffee Shops
        ('Coffee Shops','merchant','Starbucks',4), ('Coffee Shops','merchant','Dunkin',4),
        ('Coffee Shops','merchant','Tim Hortons',4), ('Coffee Shops','merchant','Costa Coffee',4),
        ('Coffee Shops','merchant','Peet''s Coffee',4), ('Coffee Shops','merchant','Blue Bottle Coffee',4),
        ('Coffee Shops','merchant','Pret A Manger',3), ('Coffee Shops','keyword','coffee',3),
        ('Coffee Shops','keyword','café',3), ('Coffee Shops','keyword','cafetería',3),
        ('Coffee Shops','keyword','kaffee',3), ('Coffee Shops','keyword','espresso',3),
        ('Coffee Shops','time','morning',1), ('Coffee Shops','amount_range','1.50-12.00',1),
        -- Fast Food
        ('Fast Food','merchant','McDonald''s',4), ('Fast Food','merchant','Burger King',4),
        ('Fast Food','merchant','Wendy''s',4), ('Fast Food','merchant','Taco Bell',4),
        ('Fast Food','merchant','KFC',4), ('Fast Food','merchant','Subway',3),
        ('Fast Food','merchant','Chipotle',4), ('Fast Food','merchant','Five Guys',4),
        ('Fast Food','merchant','Domino''s',4), ('Fast Food','merchant','Pizza Hut',4),
        ('Fast Food','keyword','burger',2), ('Fast Food','amount_range','3.00-30.00',1),
        -- Food Delivery
        ('Food Delivery','merchant','Uber Eats',4), ('Food Delivery','merchant','DoorDash',4),
        ('Food Delivery','merchant','Grubhub',4), ('Food Delivery','merchant','Deliveroo',4),
        ('Food Delivery','merchant','Just Eat',4), ('Food Delivery','merchant','Glovo',4),
        ('Food Delivery','regex','uber\s*\*?\s*eats',4),
        -- Fuel
        ('Fuel','merchant','Shell',4), ('Fuel','merchant','BP',3), ('Fuel','merchant','Chevron',4),
        ('Fuel','merchant','Exxon',4), ('Fuel','merchant','ExxonMobil',4), ('Fuel','merchant','Texaco',4),
        ('Fuel','merchant','Repsol',4), ('Fuel','merchant','TotalEnergies',4), ('Fuel','merchant','Aral',4),
        ('Fuel','keyword','gas station',3), ('Fuel','keyword','fuel',3), ('Fuel','keyword','gasolina',3),
        ('Fuel','keyword','gasolinera',3), ('Fuel','keyword','essence',2), ('Fuel','keyword','tankstelle',3),
        ('Fuel','amount_range','15.00-150.00',1),
        -- Rideshare & Taxi
        ('Rideshare & Taxi','merchant','Uber',3), ('Rideshare & Taxi','merchant','Lyft',4),
        ('Rideshare & Taxi','merchant','Bolt',3), ('Rideshare & Taxi','merchant','Cabify',4),
        ('Rideshare & Taxi','merchant','FreeNow',4), ('Rideshare & Taxi','keyword','taxi',3),
        ('Rideshare & Taxi','keyword','cab',2), ('Rideshare & Taxi','regex','uber\s*\*?\s*trip',4),
        -- Public Transit
        ('Public Transit','keyword','metro',3), ('Public Transit','keyword','subway fare',3),
        ('Public Transit','keyword','transit',3), ('Public Transit','keyword','bahn',3),
        ('Public Transit','merchant','MTA',4), ('Public Transit','merchant','TfL',4),
        ('Public Transit','merchant','BART',4), ('Public Transit','merchant','Renfe',4),
        ('Public Transit','merchant','Deutsche Bahn',4), ('Public Transit','merchant','SNCF',4),
        ('Public Transit','merchant','Amtrak',4), ('Public Transit','time','weekday',1),
        -- Parking & Tolls
        ('Parking & Tolls','keyword','parking',3), ('Parking & Tolls','keyword','estacionamiento',3),
        ('Parking & Tolls','keyword','parkhaus',3), ('Parking & Tolls','keyword','toll',3),
        ('Parking & Tolls','keyword','peaje',3), ('Parking & Tolls','merchant','E-ZPass',4),
        -- Online Shopping
        ('Online Shopping','merchant','Amazon',4), ('Online Shopping','merchant','eBay',4),
        ('Online Shopping','merchant','Etsy',4), ('Online Shopping','merchant','AliExpress',4),
        ('Online Shopping','merchant','Zalando',4), ('Online Shopping','merchant','Temu',4),
        ('Online Shopping','regex','^(amzn|amazon)\s*(mktp|marketplace|\.com|digital)',4),
        -- Clothing
        ('Clothing','merchant','Zara',4), ('Clothing','merchant','H&M',4), ('Clothing','merchant','Uniqlo',4),
        ('Clothing','merchant','Nike',3), ('Clothing','merchant','Gap',3), ('Clothing','merchant','Primark',4),
        ('Clothing','keyword','clothing',3), ('Clothing','keyword','ropa',3), ('Clothing','keyword','kleidung',3),
        -- Electronics
        ('Electronics','merchant','Best Buy',4), ('Electronics','merchant','Apple Store',4),
        ('Electronics','merchant','MediaMarkt',4), ('Electronics','merchant','Micro Center',4),
        ('Electronics','keyword','electronics',3),
        -- Home & Garden
        ('Home & Garden','merchant','IKEA',4), ('Home & Garden','merchant','Home Depot',4),
        ('Home & Garden','merchant','Lowe''s',4), ('Home & Garden','merchant','Leroy Merlin',4),
        ('Home & Garden','keyword','hardware',2), ('Home & Garden','keyword','garden',2),
        -- Utilities
        ('Utilities','keyword','electricity',3), ('Utilities','keyword','electric',2),
        ('Utilities','keyword','electricidad',3), ('Utilities','keyword','strom',3),
        ('Utilities','keyword','water bill',3), ('Utilities','keyword','gas bill',3),
        ('Utilities','merchant','PG&E',4), ('Utilities','merchant','Con Edison',4),
        ('Utilities','merchant','Iberdrola',4), ('Utilities','merchant','Endesa',4),
        ('Utilities','merchant','EDF',4), ('Utilities','merchant','Duke Energy',4),
        -- Phone & Internet
        ('Phone & Internet','merchant','Verizon',4), ('Phone & Internet','merchant','AT&T',4),
        ('Phone & Internet','merchant','T-Mobile',4), ('Phone & Internet','merchant','Comcast',4),
        ('Phone & Internet','merchant','Xfinity',4), ('Phone & Internet','merchant','Vodafone',4),
        ('Phone & Internet','merchant','Movistar',4), ('Phone & Internet','merchant','Orange',3),
        ('Phone & Internet','keyword','internet',3), ('Phone & Internet','keyword','broadband',3),
        ('Phone & Internet','keyword','mobile plan',3),
        -- Rent & Mortgage
        ('Rent & Mortgage','keyword','rent',3), ('Rent & Mortgage','keyword','alquiler',3),
        ('Rent & Mortgage','keyword','miete',3), ('Rent & Mortgage','keyword','loyer',3),
        ('Rent & Mortgage','keyword','mortgage',4), ('Rent & Mortgage','keyword','hipoteca',4),
        ('Rent & Mortgage','amount_range','400.00-6000.00',1),
        -- Insurance
        ('Insurance','keyword','insurance',3), ('Insurance','keyword','seguro',3),
        ('Insurance','keyword','versicherung',3), ('Insurance','keyword','assurance',3),
        ('Insurance','merchant','GEICO',4), ('Insurance','merchant','State Farm',4),
        ('Insurance','merchant','Allianz',4), ('Insurance','merchant','AXA',4),
        -- Streaming
        ('Streaming','merchant','Netflix',4), ('Streaming','merchant','Spotify',4),
        ('Streaming','merchant','Hulu',4), ('Streaming','merchant','Disney Plus',4),
        ('Streaming','merchant','HBO Max',4), ('Streaming','merchant','YouTube Premium',4),
        ('Streaming','merchant','Apple Music',4), ('Streaming','merchant','Prime Video',4),
        ('Streaming','regex','netflix\.com|spotify\s*(ab|usa|premium)',4),
        ('Streaming','amount_range','3.00-30.00',1),
        -- Games
        ('Games','merchant','Steam',4), ('Games','merchant','PlayStation Network',4),
        ('Games','merchant','Nintendo',4), ('Games','merchant','Xbox',4), ('Games','merchant','Epic Games',4),
        -- Movies & Events
        ('Movies & Events','merchant','AMC Theatres',4), ('Movies & Events','merchant','Cinemark',4),
        ('Movies & Events','merchant','Ticketmaster',4), ('Movies & Events','keyword','cinema',3),
        ('Movies & Events','keyword','cine',3), ('Movies & Events','keyword','kino',3),
        ('Movies & Events','keyword','concert',3), ('Movies & Events','time','weekend',1),
        -- Pharmacy
        ('Pharmacy','merchant','CVS',4), ('Pharmacy','merchant','Walgreens',4),
        ('Pharmacy','merchant','Rite Aid',4), ('Pharmacy','merchant','Boots',3),
        ('Pharmacy','keyword','pharmacy',3), ('Pharmacy','keyword','farmacia',3),
        ('Pharmacy','keyword','pharmacie',3), ('Pharmacy','keyword','apotheke',3),
        -- Fitness
        ('Fitness','merchant','Planet Fitness',4), ('Fitness','merchant','Equinox',4),
        ('Fitness','merchant','24 Hour Fitness',4), ('Fitness','merchant','Peloton',4),
        ('Fitness','keyword','gym',3), ('Fitness','keyword','gimnasio',3),
        ('Fitness','keyword','fitnessstudio',3), ('Fitness','keyword','yoga',3),
        -- Flights
        ('Flights','merchant','Delta Air Lines',4), ('Flights','merchant','United Airlines',4),
        ('Flights','merchant','American Airlines',4), ('Flights','merchant','Southwest Airlines',4),
        ('Flights','merchant','Ryanair',4), ('Flights','merchant','easyJet',4),
        ('Flights','merchant','Lufthansa',4), ('Flights','merchant','Iberia',4),
        ('Flights','merchant','Air France',4), ('Flights','keyword','airline',3),
        ('Flights','keyword','airlines',3), ('Flights','keyword','vuelo',3),
        -- Hotels & Lodging
        ('Hotels & Lodging','merchant','Marriott',4), ('Hotels & Lodging','merchant','Hilton',4),
        ('Hotels & Lodging','merchant','Hyatt',4), ('Hotels & Lodging','merchant','Airbnb',4),
        ('Hotels & Lodging','merchant','Booking.com',4), ('Hotels & Lodging','merchant','Expedia',3),
        ('Hotels & Lodging','keyword','hotel',3), ('Hotels & Lodging','keyword','hostel',3),
        -- Income
        ('Income','keyword','payroll',4), ('Income','keyword','salary',4), ('Income','keyword','nómina',4),
        ('Income','keyword','gehalt',4), ('Income','keyword','salaire',4),
        ('Income','description','direct deposit',4), ('Income','description','interest payment',3),
        ('Income','regex','^(ach\s+)?credit\s+.*(payroll|salary)',4),
        ('Income','amount_range','-100000.00--0.01',1),
        -- Transfers
        ('Transfers','description','transfer to',3), ('Transfers','description','transfer from',3),
        ('Transfers','keyword','transferencia',3), ('Transfers','keyword','virement',3),
        ('Transfers','keyword','überweisung',3), ('Transfers','merchant','Venmo',4),
        ('Transfers','merchant','Zelle',4), ('Transfers','merchant','Wise',3), ('Transfers','merchant','Bizum',4),
        -- Fees & Charges
        ('Fees & Charges','description','monthly fee',4), ('Fees & Charges','description','overdraft',4),
        ('Fees & Charges','description','late fee',4), ('Fees & Charges','keyword','comisión',3),
        ('Fees & Charges','keyword','commission',3), ('Fees & Charges','keyword','gebühr',3),
        ('Fees & Charges','amount_range','0.50-50.00',1),
        -- Cash & ATM
        ('Cash & ATM','keyword','atm',4), ('Cash & ATM','keyword','cajero',3),
        ('Cash & ATM','keyword','geldautomat',3), ('Cash & ATM','regex','cash\s+withdrawal|retiro\s+de\s+efectivo',4),
        -- Education
        ('Education','keyword','tuition',4), ('Education','keyword','university',3),
        ('Education','keyword','school',2), ('Education','keyword','colegio',3),
        ('Education','merchant','Coursera',4), ('Education','merchant','Udemy',4),
        -- Pets
        ('Pets','merchant','Petco',4), ('Pets','merchant','PetSmart',4), ('Pets','merchant','Chewy',4),
        ('Pets','keyword','veterinary',3), ('Pets','keyword','veterinario',3), ('Pets','keyword','tierarzt',3),
        ('Pets','keyword','vet',2),
        -- Personal Care
        ('Personal Care','keyword','salon',3), ('Personal Care','keyword','barber',3),
        ('Personal Care','keyword','peluquería',3), ('Personal Care','keyword','friseur',3),
        ('Personal Care','merchant','Sephora',4), ('Personal Care','merchant','Ulta Beauty',4),
        -- Gifts & Donations
        ('Gifts & Donations','keyword','donation',3), ('Gifts & Donations','keyword','charity',3),
        ('Gifts & Donations','keyword','donación',3), ('Gifts & Donations','keyword','spende',3),
        ('Gifts & Donations','merchant','GoFundMe',4), ('Gifts & Donations','merchant','Red Cross',4)
    ), added AS (
        INSERT INTO categorize.patterns (category_id, kind, value, weight)
        SELECT c.id, i.kind, i.value, i.weight
          FROM input i JOIN categorize.categories c ON c.name = i.category
         WHERE NOT EXISTS (SELECT 1 FROM categorize.patterns p
                            WHERE p.category_id = c.id AND p.kind = i.kind
                              AND p.value = i.value)
        RETURNING 1
    )
    SELECT count(*) INTO patterns_added FROM added;
END
$$;

COMMENT ON FUNCTION categorize.load_sample_data() IS
    'Loads a starter set of categories and patterns (idempotent).';
