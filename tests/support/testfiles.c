/*
 * Scratch directories and whole-file helpers for tests (testfiles.h).
 */
#include "support/testfiles.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void test_scratch_dir(char *out, size_t cap, const char *prefix)
{
    int n = snprintf(out, cap, "/tmp/%s-XXXXXX", prefix);
    cr_assert(n > 0 && (size_t)n < cap, "scratch path too long for %s", prefix);
    cr_assert_not_null(mkdtemp(out), "mkdtemp %s", out);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

void test_scratch_remove(const char *dir, const char *prefix)
{
    char head[128];
    snprintf(head, sizeof head, "/tmp/%s-", prefix);
    if (strncmp(dir, head, strlen(head)) == 0)
        nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

void test_write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    cr_assert(fd >= 0, "cannot write %s", path);
    size_t len = strlen(text);
    cr_assert_eq(write(fd, text, len), (ssize_t)len, "%s", path);
    close(fd);
}

char *test_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    size_t cap = 65536, len = 0, n;
    char *buf = malloc(cap);
    cr_assert_not_null(buf);
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len + 1 == cap) {
            buf = realloc(buf, cap *= 2);
            cr_assert_not_null(buf);
        }
    }
    buf[len] = 0;
    fclose(f);
    return buf;
}

void test_copy_file(const char *src, const char *dst, mode_t mode)
{
    char buf[65536];
    int in = open(src, O_RDONLY), out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, mode);
    cr_assert(in >= 0 && out >= 0, "cannot copy %s to %s", src, dst);
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        cr_assert_eq(write(out, buf, (size_t)n), n);
    close(in);
    close(out);
}

void test_install_plugin(const char *dir, const char *file)
{
    char src[1024], dst[1024];
    const char *b = getenv("BW_BUILDDIR");
    cr_assert_not_null(b, "BW_BUILDDIR is not set (run through make check)");
    snprintf(src, sizeof src, "%s/plugins/%s", b, file);
    snprintf(dst, sizeof dst, "%s/%s", dir, file);
    test_copy_file(src, dst, 0644);
}

void test_clinic_path(char *out, size_t cap, const char *name)
{
    const char *shared = getenv("BW_SHARED_DIR");
    snprintf(out, cap, "%s/eval/clinics/%s.json", shared ? shared : "/work/shared", name);
}
