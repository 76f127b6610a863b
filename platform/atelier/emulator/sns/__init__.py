"""SNS behaviour MiniStack lacks: HTTP(S) delivery with SNS's retry policy, e-mail to a local
mailbox."""
