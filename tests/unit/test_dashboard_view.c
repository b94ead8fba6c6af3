/*
 * The owner view's optional sections (dashboard_view.c): the no-show rate by
 * month and provider, and the language model's use, shown only when the
 * clinic has one; data from the documents is escaped.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "dashboard_view.h"

static char *render(const cJSON *no_shows, const struct dashboard_ai *ai)
{
    cJSON *empty = cJSON_Parse("{\"range\":{\"from\":\"2027-03-01\",\"to\":\"2027-03-31\","
                               "\"tz\":\"America/Los_Angeles\"}}");
    cr_assert_not_null(empty);
    struct dashboard_owner_data d = { "Glow <Aesthetics>", "owner@glow.example", "csrf-token",
                                      empty, empty, empty, NULL, 0, no_shows, ai };
    char *html = dashboard_render_owner(&d);
    cJSON_Delete(empty);
    cr_assert_not_null(html);
    return html;
}

Test(dashboard_view, no_shows_by_month_and_provider_and_the_model_when_in_use)
{
    cJSON *ns = cJSON_Parse(
        "{\"by_month\":[{\"month\":\"2027-03\",\"showed\":9,\"no_show\":1,\"appointments\":10,"
        "\"no_show_rate\":0.1}],\"by_provider\":[{\"provider\":\"dr-<smith>\",\"showed\":9,"
        "\"no_show\":1,\"appointments\":10,\"no_show_rate\":0.1}],\"total\":{\"showed\":9,"
        "\"no_show\":1,\"appointments\":10,\"no_show_rate\":0.1},\"target_no_show_rate\":0.07}");
    cr_assert_not_null(ns);
    struct dashboard_ai ai = { 3, 1200, 300, 4500, 1, 0 };
    char *html = render(ns, &ai);
    cr_expect(strstr(html, ">No-shows</h2>") != NULL);
    cr_expect(strstr(html, "data-metric=\"no_show_rate\">10.0%") != NULL, "%s", html);
    cr_expect(strstr(html, "2027-03") != NULL);
    cr_expect(strstr(html, "dr-&lt;smith&gt;") != NULL, "provider ids are escaped");
    cr_expect(strstr(html, "dr-<smith>") == NULL);
    cr_expect(strstr(html, ">Language model</h2>") != NULL);
    cr_expect(strstr(html, "data-metric=\"ai_requests\">3<") != NULL);
    cr_expect(strstr(html, "$0.0045") != NULL, "the cost in dollars");
    free(html);

    struct dashboard_ai none = { 0 };
    html = render(ns, &none);
    cr_expect(strstr(html, "Language model") == NULL, "no model in use, no section");
    free(html);
    cJSON_Delete(ns);
}
