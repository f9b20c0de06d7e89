"""DataFlow's reasoning domain: math and general reasoning data (questions, solutions, checks)."""
