"""Our questions over Chinook, written in SQLite's dialect; sqlglot transpiles them for the
other engines. ``ordered`` marks queries whose ORDER BY fixes the row order completely, so the
order is compared too; the others compare as multisets."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Question:
    name: str
    sql: str
    ordered: bool = False


QUESTIONS = [
    Question("count_tracks", "SELECT COUNT(*) FROM Track"),
    Question(
        "artists_first_ten", "SELECT ArtistId, Name FROM Artist ORDER BY ArtistId LIMIT 10", True
    ),
    Question(
        "albums_per_artist_top",
        "SELECT ar.Name, COUNT(al.AlbumId) AS albums FROM Artist ar JOIN Album al "
        "ON al.ArtistId = ar.ArtistId GROUP BY ar.ArtistId, ar.Name "
        "ORDER BY albums DESC, ar.Name LIMIT 5",
        True,
    ),
    Question(
        "genre_track_counts",
        "SELECT g.Name, COUNT(*) FROM Track t JOIN Genre g ON g.GenreId = t.GenreId "
        "GROUP BY g.Name",
    ),
    Question(
        "revenue_by_country",
        # compared unordered: equal float sums tie differently in SQLite (binary floating
        # point) than in exact NUMERIC engines, and MySQL sorts text case-insensitively
        "SELECT BillingCountry, SUM(Total) AS revenue FROM Invoice GROUP BY BillingCountry",
    ),
    Question(
        "average_track_ms_by_media",
        # rounded: MySQL's AVG keeps only 4 more decimals (div_precision_increment)
        "SELECT m.Name, ROUND(AVG(t.Milliseconds), 2) FROM Track t JOIN MediaType m "
        "ON m.MediaTypeId = t.MediaTypeId GROUP BY m.Name",
    ),
    Question(
        "long_tracks",
        "SELECT TrackId, Name FROM Track WHERE Milliseconds > 1000000 ORDER BY TrackId",
        True,
    ),
    Question("composer_like", "SELECT COUNT(*) FROM Track WHERE Composer LIKE '%Bach%'"),
    Question("composer_null", "SELECT COUNT(*) FROM Track WHERE Composer IS NULL"),
    Question(
        "customers_in_list",
        "SELECT CustomerId, LastName FROM Customer WHERE Country IN ('Brazil', 'Canada') "
        "ORDER BY CustomerId",
        True,
    ),
    Question(
        "between_prices",
        "SELECT COUNT(*) FROM InvoiceLine WHERE UnitPrice BETWEEN 0.5 AND 1.0",
    ),
    Question(
        "having_many_invoices",
        "SELECT CustomerId, COUNT(*) AS n FROM Invoice GROUP BY CustomerId HAVING COUNT(*) > 6",
    ),
    Question(
        "nested_in_subquery",
        "SELECT Name FROM Artist WHERE ArtistId IN (SELECT ArtistId FROM Album "
        "WHERE Title LIKE '%Greatest%')",
    ),
    Question(
        "scalar_subquery_max",
        "SELECT Name, Milliseconds FROM Track WHERE Milliseconds = "
        "(SELECT MAX(Milliseconds) FROM Track)",
    ),
    Question(
        "exists_playlist",
        "SELECT COUNT(*) FROM Playlist p WHERE EXISTS (SELECT 1 FROM PlaylistTrack pt "
        "WHERE pt.PlaylistId = p.PlaylistId)",
    ),
    Question(
        "not_exists_unsold_tracks",
        "SELECT COUNT(*) FROM Track t WHERE NOT EXISTS (SELECT 1 FROM InvoiceLine il "
        "WHERE il.TrackId = t.TrackId)",
    ),
    Question(
        "union_cities",
        "SELECT City FROM Customer WHERE Country = 'USA' UNION SELECT City FROM Employee",
    ),
    Question(
        "intersect_countries",
        "SELECT Country FROM Customer INTERSECT SELECT Country FROM Employee",
    ),
    Question(
        "except_genres",
        "SELECT GenreId FROM Genre EXCEPT SELECT GenreId FROM Track WHERE Milliseconds > 600000",
    ),
    Question(
        "cte_top_customers",
        "WITH spend AS (SELECT CustomerId, SUM(Total) AS total FROM Invoice GROUP BY CustomerId) "
        "SELECT c.FirstName, c.LastName, s.total FROM spend s JOIN Customer c "
        "ON c.CustomerId = s.CustomerId ORDER BY s.total DESC, c.CustomerId LIMIT 5",
        True,
    ),
    Question(
        "left_join_no_albums",
        "SELECT COUNT(*) FROM Artist ar LEFT JOIN Album al ON al.ArtistId = ar.ArtistId "
        "WHERE al.AlbumId IS NULL",
    ),
    Question(
        "self_join_managers",
        "SELECT e.LastName, m.LastName FROM Employee e JOIN Employee m "
        "ON e.ReportsTo = m.EmployeeId",
    ),
    Question(
        "case_length_buckets",
        "SELECT CASE WHEN Milliseconds < 180000 THEN 'short' WHEN Milliseconds < 300000 "
        "THEN 'medium' ELSE 'long' END AS bucket, COUNT(*) FROM Track GROUP BY bucket",
    ),
    Question("distinct_countries", "SELECT COUNT(DISTINCT Country) FROM Customer"),
    Question(
        "string_functions",
        "SELECT UPPER(Name), LENGTH(Name) FROM Genre WHERE GenreId <= 5 ORDER BY GenreId",
        True,
    ),
    Question(
        "coalesce_company",
        "SELECT CustomerId, COALESCE(Company, 'none') FROM Customer ORDER BY CustomerId",
        True,
    ),
    Question(
        "round_average_price",
        "SELECT g.Name, ROUND(AVG(t.UnitPrice), 2) FROM Track t JOIN Genre g "
        "ON g.GenreId = t.GenreId GROUP BY g.Name",
    ),
    Question(
        "three_way_join",
        "SELECT p.Name, COUNT(DISTINCT g.GenreId) FROM Playlist p JOIN PlaylistTrack pt "
        "ON pt.PlaylistId = p.PlaylistId JOIN Track t ON t.TrackId = pt.TrackId "
        "JOIN Genre g ON g.GenreId = t.GenreId GROUP BY p.PlaylistId, p.Name",
    ),
    Question(
        "window_rank",
        "SELECT CustomerId, InvoiceId, RANK() OVER (PARTITION BY CustomerId ORDER BY Total DESC, "
        "InvoiceId) AS r FROM Invoice WHERE CustomerId <= 3",
    ),
    Question(
        "window_running_total",
        "SELECT InvoiceId, SUM(Total) OVER (ORDER BY InvoiceId) FROM Invoice "
        "WHERE InvoiceId <= 20 ORDER BY InvoiceId",
        True,
    ),
    Question(
        "arithmetic_revenue_per_track",
        "SELECT TrackId, SUM(UnitPrice * Quantity) FROM InvoiceLine GROUP BY TrackId "
        "HAVING SUM(Quantity) > 1",
    ),
    Question(
        "order_offset",
        "SELECT TrackId FROM Track ORDER BY TrackId LIMIT 5 OFFSET 100",
        True,
    ),
    Question(
        "or_conditions",
        "SELECT COUNT(*) FROM Track WHERE GenreId = 1 OR MediaTypeId = 2 OR Bytes < 100000",
    ),
    Question(
        "not_like_and_not_in",
        "SELECT COUNT(*) FROM Customer WHERE Email NOT LIKE '%gmail%' "
        "AND Country NOT IN ('USA', 'Canada')",
    ),
    Question(
        "nested_from_subquery",
        "SELECT ROUND(AVG(n), 3) FROM (SELECT AlbumId, COUNT(*) AS n FROM Track "
        "GROUP BY AlbumId) AS sub",
    ),
    Question(
        "max_min_per_genre",
        "SELECT GenreId, MAX(UnitPrice), MIN(Milliseconds) FROM Track GROUP BY GenreId",
    ),
    Question(
        "invoice_year_counts",
        "SELECT STRFTIME('%Y', InvoiceDate) AS year, COUNT(*) FROM Invoice GROUP BY year",
    ),
    Question(
        "employees_hired_before",
        "SELECT LastName FROM Employee WHERE HireDate < '2003-01-01' ORDER BY LastName",
        True,
    ),
]
