// Each inotify source keeps one libuv pool thread in poll(2) for its whole life (a mesh node has
// two: its tree and its inbox); give fs work the usual four besides them. Must run before
// anything uses the pool, hence its own first import.
process.env['UV_THREADPOOL_SIZE'] ??= '8';
