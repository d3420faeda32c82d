"""Operations: health and its checks, doctor checks, the HTTP server, Prometheus metrics, loop lag,
sd_notify and logging."""
