// The inotify source keeps one libuv pool thread in poll(2) for its whole life; give fs work the
// usual four besides it. Must run before anything uses the pool, hence its own first import.
process.env['UV_THREADPOOL_SIZE'] ??= '6';
