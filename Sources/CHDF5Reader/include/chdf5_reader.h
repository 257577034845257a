// Reading float datasets out of an HDF5 file image in a forked child: HDF5 1.10 can crash on a
// crafted file, and a crash there must not end the job. The child runs only this C code (no
// Swift runtime, no MPI), writes its answer to a pipe and _exits.
#ifndef CHDF5_READER_H
#define CHDF5_READER_H
#include <stddef.h>
#include <sys/types.h>

/// Forks a child that opens the `size` bytes at `image` as an HDF5 file and, for each of the
/// `count` paths, writes to the pipe: byte 0 if there is no such path; byte 1, the rank (one
/// byte), the dimensions (little-endian uint64 each) and the values as native floats; or, for
/// a path that cannot be read, byte 2 and a message, which ends the answer. The answer starts
/// with byte 0 (then the above), or byte 1 and a message when the file cannot be opened.
/// Returns the pipe's read end and sets `child`; -1 if it cannot fork.
int chdf5_read_floats_in_child(const void *image, size_t size, const char *const *paths, int count, pid_t *child);

#endif
