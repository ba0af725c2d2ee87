"""Arena: the voting app (arenas, competitors, prompts, battles, votes, judges and their API)."""
