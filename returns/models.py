"""B2C return orders (built in the returns issue)."""
