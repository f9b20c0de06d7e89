-- bookshop: the sample database of the text2sql pipelines (written for streamflow).
-- streamflow builds bookshop.sqlite from this script on first use.
CREATE TABLE author (
    author_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,              /* full name as printed on the cover */
    country TEXT,                    /* country of birth */
    born INTEGER                     /* year of birth */
);
CREATE TABLE book (
    book_id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    author_id INTEGER NOT NULL REFERENCES author (author_id),
    genre TEXT,                      /* shelf section: Fiction, Science, History, Poetry, Children */
    published INTEGER,               /* year of first publication */
    price REAL NOT NULL              /* shop price in euros */
);
CREATE TABLE customer (
    customer_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    city TEXT,
    joined TEXT                      /* date of the loyalty card, YYYY-MM-DD */
);
CREATE TABLE orders (
    order_id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customer (customer_id),
    ordered_on TEXT NOT NULL         /* YYYY-MM-DD */
);
CREATE TABLE order_item (
    order_id INTEGER NOT NULL REFERENCES orders (order_id),
    book_id INTEGER NOT NULL REFERENCES book (book_id),
    quantity INTEGER NOT NULL,
    PRIMARY KEY (order_id, book_id)
);

INSERT INTO author VALUES
    (1, 'Ingrid Halvorsen', 'Norway', 1961),
    (2, 'Tomás Arrieta', 'Chile', 1975),
    (3, 'Mei Lin Zhou', 'China', 1988),
    (4, 'Oluwaseun Adebayo', 'Nigeria', 1970),
    (5, 'Claire Dumont', 'France', 1952),
    (6, 'Rafael Moreno', 'Spain', 1983),
    (7, 'Hannah Whitcombe', 'United Kingdom', 1945),
    (8, 'Priya Raman', 'India', 1991);

INSERT INTO book VALUES
    (1, 'The Fjord Keeper', 1, 'Fiction', 1998, 14.5),
    (2, 'Northern Lights Over Tromsø', 1, 'Fiction', 2004, 16.0),
    (3, 'Salt and Copper', 2, 'History', 2010, 22.0),
    (4, 'The Andes Railway', 2, 'History', 2016, 24.5),
    (5, 'Small Machines That Think', 3, 'Science', 2019, 29.9),
    (6, 'Counting Rivers', 3, 'Children', 2021, 9.5),
    (7, 'Market Day in Ibadan', 4, 'Fiction', 2001, 12.0),
    (8, 'The Weaver''s Ledger', 4, 'History', 2012, 19.0),
    (9, 'Sept Saisons', 5, 'Poetry', 1979, 11.0),
    (10, 'La Maison du Phare', 5, 'Fiction', 1985, 13.5),
    (11, 'Tides of Cádiz', 6, 'Fiction', 2015, 15.0),
    (12, 'A Short History of Glass', 7, 'History', 1972, 18.0),
    (13, 'The Hedgehog Who Could Not Sleep', 7, 'Children', 1968, 7.5),
    (14, 'Monsoon Arithmetic', 8, 'Science', 2022, 27.0),
    (15, 'Letters to a Young Chemist', 8, 'Science', 2023, 21.0),
    (16, 'Quiet Harbours', 6, 'Poetry', 2020, 10.0),
    (17, 'The Cartographer''s Daughter', 2, 'Fiction', 2024, 18.5);

INSERT INTO customer VALUES
    (1, 'Ada Brennan', 'Dublin', '2019-03-14'),
    (2, 'Bruno Keller', 'Zurich', '2020-07-01'),
    (3, 'Chiara Russo', 'Milan', '2018-11-23'),
    (4, 'Dmitri Volkov', 'Dublin', '2021-01-09'),
    (5, 'Elif Şahin', 'Istanbul', '2022-05-30'),
    (6, 'Farah Haddad', 'Milan', NULL),
    (7, 'Gustav Lind', 'Oslo', '2023-02-17'),
    (8, 'Hana Novak', NULL, '2020-10-05');

INSERT INTO orders VALUES
    (1, 1, '2023-01-05'), (2, 1, '2023-03-18'), (3, 2, '2023-02-11'), (4, 3, '2023-02-14'),
    (5, 3, '2023-06-02'), (6, 3, '2023-09-29'), (7, 4, '2023-04-22'), (8, 5, '2023-07-07'),
    (9, 6, '2023-08-15'), (10, 7, '2023-10-31'), (11, 1, '2024-01-12'), (12, 2, '2024-02-03');

INSERT INTO order_item VALUES
    (1, 1, 1), (1, 13, 2), (2, 5, 1), (3, 3, 1), (3, 4, 1), (4, 9, 1), (4, 10, 1), (5, 14, 1),
    (6, 6, 3), (6, 13, 1), (7, 7, 1), (7, 8, 1), (8, 11, 2), (9, 12, 1), (10, 2, 1), (10, 1, 1),
    (11, 15, 1), (11, 5, 1), (12, 3, 2);
