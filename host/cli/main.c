/*
 * bookwell: the operator's command line for a running bookwelld. It talks
 * HTTP to the daemon's admin listener; where that is and the operator token
 * come from the environment only. Options may appear anywhere after the
 * command name's position; "--" ends them.
 */
#include "build_config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cli.h"

#define MAX_ARGS 8

static void usage(FILE *out)
{
    fputs("usage: bookwell [--json] COMMAND [ARGS]\n"
          "\n"
          "Commands:\n"
          "  status                             daemon version, uptime, schema, database pool\n"
          "  tenants                            the configured tenants (clinics)\n"
          "  tenant import FILE [TENANT]        import a clinic catalog (the clinic JSON format;\n"
          "                                     TENANT defaults to the file's id); seeds the\n"
          "                                     built-in calendar with its clients and appointments\n"
          "  api-key create TENANT [--label L]  create a clinic API key (shown once)\n"
          "  api-key revoke TENANT KEY_ID       revoke a clinic API key\n"
          "  contact erase TENANT CONTACT       erase a contact's personal data on request; CONTACT\n"
          "                                     is the contact id, address or E.164 phone\n"
          "  jobs [--parked]                    job counts by state and kind; --parked: the parked\n"
          "                                     jobs with their last errors\n"
          "  plugins list                       loaded plugins, tenant bindings, generations\n"
          "  plugins reload                     re-read the configuration and plugins.dir; on\n"
          "                                     failure every failed binding is printed\n"
          "  plugins rollback                   serve the previous generation's instances again\n"
          "  evidence verify TENANT SUBJECT     recompute a hold's evidence hash chain; exit 1\n"
          "                                     and the first bad entry when it was tampered with\n"
          "  help                               this text\n"
          "\n"
          "Options:\n"
          "  --json          print the daemon's JSON reply as it came\n"
          "  -h, --help      this text\n"
          "  --version       the CLI's version\n"
          "\n"
          "Environment:\n"
          "  BOOKWELL_ADMIN_URL    the admin listener (default " ADMIN_DEFAULT_URL ")\n"
          "  BOOKWELL_ADMIN_TOKEN  the operator token (required; never taken from arguments)\n"
          "\n"
          "Exit status:\n"
          "  0  done\n"
          "  1  the daemon refused or failed the request (its error message is printed)\n"
          "  2  usage error, or BOOKWELL_ADMIN_TOKEN / BOOKWELL_ADMIN_URL unusable\n"
          "  3  cannot reach the admin listener\n",
          out);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("bookwell: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'bookwell --help'.\n", stderr);
    return CLI_USAGE;
}

int main(int argc, char **argv)
{
    struct cli_opts o = { 0 };
    const char *args[MAX_ARGS];
    int n = 0;
    bool label_seen = false, parked_seen = false, no_more_options = false;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (no_more_options || a[0] != '-' || strcmp(a, "-") == 0) {
            if (n == MAX_ARGS)
                return usage_error("too many arguments");
            args[n++] = a;
        } else if (strcmp(a, "--") == 0) {
            no_more_options = true;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return CLI_OK;
        } else if (strcmp(a, "--version") == 0) {
            printf("bookwell %s\n", PACKAGE_VERSION);
            return CLI_OK;
        } else if (strcmp(a, "--json") == 0) {
            o.json = true;
        } else if (strcmp(a, "--parked") == 0) {
            o.parked = parked_seen = true;
        } else if (strcmp(a, "--label") == 0) {
            if (++i == argc)
                return usage_error("--label needs a value");
            o.label = argv[i];
            label_seen = true;
        } else if (strncmp(a, "--label=", 8) == 0) {
            o.label = a + 8;
            label_seen = true;
        } else if (strncmp(a, "--token", 7) == 0) {
            return usage_error("%s: the token is read from BOOKWELL_ADMIN_TOKEN only", a);
        } else {
            return usage_error("unknown option %s", a);
        }
    }
    if (n == 0)
        return usage_error("no command given");

    const char *cmd = args[0];
    enum { STATUS, TENANTS, TENANT_IMPORT, KEY_CREATE, KEY_REVOKE, JOBS, PLUGINS_LIST,
           PLUGINS_RELOAD, PLUGINS_ROLLBACK, CONTACT_ERASE, EVIDENCE_VERIFY } which;
    if (strcmp(cmd, "help") == 0) {
        usage(stdout);
        return CLI_OK;
    } else if (strcmp(cmd, "status") == 0 && n == 1) {
        which = STATUS;
    } else if (strcmp(cmd, "tenants") == 0 && n == 1) {
        which = TENANTS;
    } else if (strcmp(cmd, "tenant") == 0 && (n == 3 || n == 4) &&
               strcmp(args[1], "import") == 0) {
        which = TENANT_IMPORT;
    } else if (strcmp(cmd, "jobs") == 0 && n == 1) {
        which = JOBS;
    } else if (strcmp(cmd, "api-key") == 0 && n == 3 && strcmp(args[1], "create") == 0) {
        which = KEY_CREATE;
    } else if (strcmp(cmd, "api-key") == 0 && n == 4 && strcmp(args[1], "revoke") == 0) {
        which = KEY_REVOKE;
    } else if (strcmp(cmd, "contact") == 0 && n == 4 && strcmp(args[1], "erase") == 0) {
        which = CONTACT_ERASE;
    } else if (strcmp(cmd, "plugins") == 0 && n == 2 && strcmp(args[1], "list") == 0) {
        which = PLUGINS_LIST;
    } else if (strcmp(cmd, "plugins") == 0 && n == 2 && strcmp(args[1], "reload") == 0) {
        which = PLUGINS_RELOAD;
    } else if (strcmp(cmd, "plugins") == 0 && n == 2 && strcmp(args[1], "rollback") == 0) {
        which = PLUGINS_ROLLBACK;
    } else if (strcmp(cmd, "evidence") == 0 && n == 4 && strcmp(args[1], "verify") == 0) {
        which = EVIDENCE_VERIFY;
    } else if (strcmp(cmd, "status") == 0 || strcmp(cmd, "tenants") == 0 ||
               strcmp(cmd, "jobs") == 0 || strcmp(cmd, "api-key") == 0 ||
               strcmp(cmd, "tenant") == 0 || strcmp(cmd, "plugins") == 0 ||
               strcmp(cmd, "contact") == 0 || strcmp(cmd, "evidence") == 0) {
        return usage_error("wrong arguments for '%s'", cmd);
    } else {
        return usage_error("unknown command '%s'", cmd);
    }
    if (label_seen && which != KEY_CREATE)
        return usage_error("--label belongs to 'api-key create'");
    if (parked_seen && which != JOBS)
        return usage_error("--parked belongs to 'jobs'");

    struct admin_client ac;
    char why[200];
    if (admin_client_init(&ac, why, sizeof why) != 0) {
        fprintf(stderr, "bookwell: %s\n", why);
        return CLI_USAGE;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
        fprintf(stderr, "bookwell: cannot initialise libcurl\n");
        return CLI_UNREACHABLE;
    }
    int rc = CLI_USAGE;
    switch (which) {
    case STATUS: rc = cli_status(&ac, &o); break;
    case TENANTS: rc = cli_tenants(&ac, &o); break;
    case JOBS: rc = cli_jobs(&ac, &o); break;
    case TENANT_IMPORT: rc = cli_tenant_import(&ac, &o, args[2], n == 4 ? args[3] : NULL); break;
    case KEY_CREATE: rc = cli_api_key_create(&ac, &o, args[2]); break;
    case KEY_REVOKE: rc = cli_api_key_revoke(&ac, &o, args[2], args[3]); break;
    case PLUGINS_LIST: rc = cli_plugins_list(&ac, &o); break;
    case PLUGINS_RELOAD: rc = cli_plugins_reload(&ac, &o); break;
    case PLUGINS_ROLLBACK: rc = cli_plugins_rollback(&ac, &o); break;
    case CONTACT_ERASE: rc = cli_contact_erase(&ac, &o, args[2], args[3]); break;
    case EVIDENCE_VERIFY: rc = cli_evidence_verify(&ac, &o, args[2], args[3]); break;
    }
    memset(&ac, 0, sizeof ac);
    curl_global_cleanup();
    return rc;
}
