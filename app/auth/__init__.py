"""Who is calling: the one JWT verifier and the principal it yields."""
