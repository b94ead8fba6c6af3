/*
 * Starting and stopping third-party API simulators for tests (sim_proc.h).
 */
#include "support/sim_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SIM_ARGS_MAX 32

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
        if (len + 1 == cap) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf)
        buf[len] = '\0';
    return buf;
}

char *test_sim_log(const struct test_sim *s) { return slurp(s->log_path); }

static void die(struct test_sim *s, const char *why)
{
    fprintf(stderr, "simulator: %s\n", why);
    char *log = s->log_path[0] ? test_sim_log(s) : NULL;
    if (log) {
        fprintf(stderr, "---- simulator log ----\n%s\n", log);
        free(log);
    }
    test_sim_stop(s);
    abort();
}

void test_sim_start(struct test_sim *s, const char *name, const char *const *args)
{
    char script[1024], ready[320];
    const char *src = getenv("BW_SRCDIR");
    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "/tmp/bw-sim-XXXXXX");
    if (!mkdtemp(s->dir))
        die(s, "mkdtemp failed");
    snprintf(s->log_path, sizeof s->log_path, "%s/sim.log", s->dir);
    snprintf(ready, sizeof ready, "%s/ready.json", s->dir);
    snprintf(script, sizeof script, "%s/tests/sim/%s_sim.py", src ? src : ".", name);

    const char *argv[SIM_ARGS_MAX + 8];
    int a = 0;
    argv[a++] = "python3";
    argv[a++] = script;
    argv[a++] = "--port";
    argv[a++] = "0";
    argv[a++] = "--ready-file";
    argv[a++] = ready;
    for (int i = 0; args && args[i] && i < SIM_ARGS_MAX; i++)
        argv[a++] = args[i];
    argv[a] = NULL;

    pid_t pid = fork();
    if (pid < 0)
        die(s, "fork failed");
    if (pid == 0) {
        int fd = open(s->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execvp("python3", (char *const *)argv);
        _exit(127);
    }
    s->pid = pid;
    for (int i = 0; i < 2000; i++) {
        char *text = slurp(ready);
        const char *p = text ? strstr(text, "\"port\"") : NULL;
        if (p && (p = strchr(p, ':')) != NULL)
            s->port = (unsigned)strtoul(p + 1, NULL, 10);
        free(text);
        if (s->port) {
            snprintf(s->base_url, sizeof s->base_url, "http://127.0.0.1:%u", s->port);
            return;
        }
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            s->pid = 0;
            die(s, "exited before it was ready");
        }
        usleep(10000);
    }
    die(s, "not ready within 20 s");
}

void test_sim_stop(struct test_sim *s)
{
    char path[400];
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
            ;
        s->pid = 0;
    }
    if (s->dir[0]) {
        snprintf(path, sizeof path, "%s/ready.json", s->dir);
        unlink(path);
        unlink(s->log_path);
        rmdir(s->dir);
        s->dir[0] = '\0';
    }
}
