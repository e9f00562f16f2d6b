"""The supervisor pages (/supervise): bad-rating follow-ups, complaints."""
