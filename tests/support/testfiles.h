/*
 * Scratch files for tests: a directory under /tmp removed with everything
 * in it, files written, read whole and copied, a built plugin installed
 * into a plugins directory, and the path of an eval clinic. Every helper
 * aborts the test with a clear message when the file system refuses.
 */
#ifndef BW_TESTS_TESTFILES_H
#define BW_TESTS_TESTFILES_H

#include <stddef.h>
#include <sys/types.h>

/* Makes /tmp/<prefix>-XXXXXX; its path in out (cap >= strlen(prefix) + 13). */
void test_scratch_dir(char *out, size_t cap, const char *prefix);

/* Removes a directory made by test_scratch_dir and everything under it;
 * does nothing when dir is empty or not under /tmp/<prefix>-. */
void test_scratch_remove(const char *dir, const char *prefix);

/* Writes text to path (created or truncated) with mode. */
void test_write_file(const char *path, const char *text, mode_t mode);

/* The whole file, NUL-terminated (malloc'd, caller frees). */
char *test_read_file(const char *path);

void test_copy_file(const char *src, const char *dst, mode_t mode);

/* Copies the built plugin BW_BUILDDIR/plugins/<file> into dir/<file>. */
void test_install_plugin(const char *dir, const char *file);

/* <BW_SHARED_DIR or /work/shared>/eval/clinics/<name>.json */
void test_clinic_path(char *out, size_t cap, const char *name);

#endif
