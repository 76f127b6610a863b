"""Application Load Balancer data plane behaviour MiniStack lacks: keep-alive connections to
targets (:mod:`.forwarder`)."""
