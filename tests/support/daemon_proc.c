/*
 * Child-process control of bookwelld for integration tests, and a libcurl
 * client. The daemon binary is $BW_BUILDDIR/bookwelld (set by make check).
 */
#include "support/daemon_proc.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *msg, const struct test_daemon *d)
{
    fprintf(stderr, "daemon_proc: %s\n", msg);
    if (d && d->log_path[0]) {
        char *log = test_daemon_log(d);
        if (log)
            fprintf(stderr, "---- bookwelld log ----\n%s-----------------------\n", log);
        free(log);
    }
    abort();
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        die("cannot write test configuration", NULL);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 >= cap) {
            char *grown = realloc(buf, cap *= 2);
            if (!grown) {
                free(buf);
                buf = NULL;
            }
            buf = grown;
        }
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

char *test_daemon_log(const struct test_daemon *d) { return read_file(d->log_path); }

static const char default_tenant[] =
    "tenant = { id = \"glow\"; name = \"Glow Aesthetics\"; timezone = \"America/Los_Angeles\"; country = \"US\"; };\n";

void test_daemon_start(struct test_daemon *d, const struct test_daemon_opts *o)
{
    char path[400], conf[4096], ready[320], bin[512];
    const char *builddir = getenv("BW_BUILDDIR");

    memset(d, 0, sizeof *d);
    snprintf(d->dir, sizeof d->dir, "/tmp/bw-test-XXXXXX");
    if (!mkdtemp(d->dir))
        die("mkdtemp failed", NULL);
    snprintf(path, sizeof path, "%s/tenants", d->dir);
    mkdir(path, 0755);
    snprintf(conf, sizeof conf,
             "listen = { public = \"127.0.0.1:0\"; admin = \"127.0.0.1:0\"; };\n"
             "database = { url = \"env:BOOKWELL_DATABASE_URL\"; pool_size = %d; };\n"
             "admin = { token = \"env:BOOKWELL_ADMIN_TOKEN\"; };\n"
             "log = { level = \"debug\"; };\n"
             "%s\n",
             o->db_pool_size > 0 ? o->db_pool_size : 4, o->extra_conf ? o->extra_conf : "");
    snprintf(path, sizeof path, "%s/bookwelld.conf", d->dir);
    write_file(path, conf);
    snprintf(path, sizeof path, "%s/tenants/glow.conf", d->dir);
    write_file(path, o->tenant_conf ? o->tenant_conf : default_tenant);
    if (o->spruce_conf) {
        snprintf(path, sizeof path, "%s/tenants/spruce.conf", d->dir);
        write_file(path, o->spruce_conf);
    }
    snprintf(d->log_path, sizeof d->log_path, "%s/bookwelld.log", d->dir);
    snprintf(ready, sizeof ready, "%s/ready.json", d->dir);
    snprintf(bin, sizeof bin, "%s/bookwelld", builddir ? builddir : ".");

    pid_t pid = fork();
    if (pid < 0)
        die("fork failed", NULL);
    if (pid == 0) {
        int fd = open(d->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 2);
            dup2(fd, 1);
            close(fd);
        }
        setenv("BOOKWELL_DATABASE_URL", o->conninfo, 1);
        setenv("BOOKWELL_ADMIN_TOKEN", TEST_ADMIN_TOKEN, 1);
        char clockarg[96];
        char *argv[8];
        int a = 0;
        argv[a++] = bin;
        argv[a++] = "--config";
        argv[a++] = d->dir;
        argv[a++] = "--ready-file";
        argv[a++] = ready;
        if (o->test_clock) {
            if (o->test_clock_start)
                snprintf(clockarg, sizeof clockarg, "--test-clock=%s", o->test_clock_start);
            else
                snprintf(clockarg, sizeof clockarg, "--test-clock");
            argv[a++] = clockarg;
        }
        argv[a] = NULL;
        execv(bin, argv);
        _exit(127);
    }
    d->pid = pid;

    for (int i = 0; i < 2000; i++) {
        char *text = read_file(ready);
        if (text) {
            const char *p = strstr(text, "\"public_port\":");
            const char *q = strstr(text, "\"admin_port\":");
            if (p && q) {
                d->public_port = (unsigned)strtoul(p + 14, NULL, 10);
                d->admin_port = (unsigned)strtoul(q + 13, NULL, 10);
            }
            free(text);
            if (d->public_port && d->admin_port)
                return;
        }
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            d->pid = 0;
            die("bookwelld exited before it was ready", d);
        }
        usleep(10000);
    }
    die("bookwelld was not ready within 20 s", d);
}

int test_daemon_stop(struct test_daemon *d, int sig)
{
    int status = 0;
    if (d->pid <= 0)
        return -1;
    kill(d->pid, sig);
    while (waitpid(d->pid, &status, 0) < 0 && errno == EINTR)
        ;
    d->pid = 0;
    return status;
}

void test_daemon_cleanup(struct test_daemon *d)
{
    char cmd[300];
    if (d->pid > 0)
        test_daemon_stop(d, SIGKILL);
    if (d->dir[0] && strncmp(d->dir, "/tmp/bw-test-", 13) == 0) {
        const char *names[] = { "tenants/glow.conf", "tenants/spruce.conf", "tenants", "bookwelld.conf",
                                "bookwelld.log", "ready.json", NULL };
        for (int i = 0; names[i]; i++) {
            snprintf(cmd, sizeof cmd, "%s/%s", d->dir, names[i]);
            if (remove(cmd) != 0 && errno == ENOTEMPTY)
                break;
        }
        rmdir(d->dir);
    }
}

struct buf {
    char *data;
    size_t len;
};

static size_t collect(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct buf *b = userdata;
    size_t n = size * nmemb;
    char *grown = realloc(b->data, b->len + n + 1);
    if (!grown)
        return 0;
    b->data = grown;
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

int test_http(const char *method, unsigned port, const char *path, const char *const *headers,
              const char *body, size_t body_len, struct test_http_resp *out)
{
    size_t urlcap = strlen(path) + 32;
    char *url = malloc(urlcap);
    struct buf b = { 0 }, h = { 0 };
    struct curl_slist *list = NULL;
    CURL *curl = curl_easy_init();
    memset(out, 0, sizeof *out);
    if (!curl || !url) {
        if (curl)
            curl_easy_cleanup(curl);
        free(url);
        return -1;
    }
    snprintf(url, urlcap, "http://127.0.0.1:%u%s", port, path);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L); /* no body follows the headers */
    else
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &h);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    for (const char *const *p = headers; p && *p; p++)
        list = curl_slist_append(list, *p);
    list = curl_slist_append(list, "Expect:");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    if (body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    CURLcode rc = curl_easy_perform(curl);
    if (rc == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
    free(url);
    out->body = b.data ? b.data : strdup("");
    out->len = b.len;
    out->headers = h.data ? h.data : strdup("");
    return rc == CURLE_OK ? 0 : -1;
}

void test_http_resp_free(struct test_http_resp *r)
{
    free(r->body);
    free(r->headers);
    memset(r, 0, sizeof *r);
}

int test_admin(const struct test_daemon *d, const char *method, const char *path,
               const char *json_body, struct test_http_resp *out)
{
    const char *headers[] = { "Authorization: Bearer " TEST_ADMIN_TOKEN,
                              "Content-Type: application/json", NULL };
    return test_http(method, d->admin_port, path, headers, json_body,
                     json_body ? strlen(json_body) : 0, out);
}
