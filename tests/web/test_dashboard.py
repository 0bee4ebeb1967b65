"""The dashboard in headless Chromium against a real `coldsend serve`, on SQLite and on PostgreSQL: the
first start's link, a campaign built in the editor, a CSV import, sending through the SMTP sink, a reply in
the Unibox and the answer to it, a view-only member, hostile content, CSRF, the CSP, sign-in throttling.

The tests of this module build one world in order (each uses what the earlier ones made), as a person
would."""

import uuid
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, expect

from tests.imap_server import Dovecot
from tests.inbox.mailboxes import PASSWORD as MAILBOX_PASSWORD
from tests.inbox.mailboxes import deliver
from tests.smtp_sink import SmtpSink
from tests.web.flow import (
    HOSTILE_REPLY,
    HTML_REPLY_TEXT,
    account_form,
    another_workspaces_campaign,
    api_json,
    lead_replies,
    run_placement_test,
    schedule_body,
    sending_domain_records,
)
from tests.web.site import PASSWORD, Site, csrf_of, sign_in
from tests.web.world import (
    ACCOUNT,
    HOSTILE_NAME,
    INVALID,
    LEADS,
    OWNER,
    REPEATED,
    TIMEOUT_MS,
    VIEWER,
    csv_rows,
    page_of,
)
from tests.webhook_receiver import receiver


class TestFirstStart:
    async def test_the_link_sets_a_password_and_signs_in(self, site: Site, owner: BrowserContext) -> None:
        page = await owner.new_page()
        await site.visit(page, site.setup_link.removeprefix(site.url), "set-password")
        await page.fill("#email", OWNER)
        await page.fill("#password", PASSWORD)
        await page.fill("#confirmation", PASSWORD)
        await page.click("text=Set password and sign in")
        await expect(page).to_have_url(site.url + "/campaigns")
        await expect(page.locator("header .role")).to_contain_text(OWNER)
        cookie = next(c for c in await owner.cookies() if c["name"] == "coldsend_session")
        assert cookie["httpOnly"]
        assert cookie["sameSite"] == "Lax"
        assert cookie["value"] not in await page.content()

        spent = await page.goto(site.setup_link)
        assert spent is not None
        assert spent.status == 404


class TestAccountsAndCampaign:
    async def test_add_an_account_on_the_smtp_sink(
        self,
        site: Site,
        owner: BrowserContext,
        sink: SmtpSink,
        dovecot: Dovecot,
    ) -> None:
        dovecot.add_user(ACCOUNT, MAILBOX_PASSWORD)
        page = await page_of(owner)
        await site.visit(page, "/accounts/new", "account-new")
        for selector, value in account_form(sink, dovecot).items():
            await page.fill(selector, value)
        await page.select_option("#smtp_tls", "cleartext")
        await page.select_option("#imap_tls", "cleartext")
        await page.click("#add-account")
        await expect(page.locator("#account-status")).to_have_text("active")
        await site.shot(page, "account")

        sending_domain_records(site)  # no DMARC record: the live check says so in words
        await page.click("text=Check DNS and logins")
        checks = page.locator("#account-checks")
        for name in ("MX", "SPF", "DKIM", "SMTP", "IMAP"):
            await expect(checks.locator("tr", has_text=name).locator(".badge")).to_have_text("pass")
        dmarc = checks.locator("tr", has_text="DMARC")
        await expect(dmarc.locator(".badge")).to_have_text("fail")
        await expect(dmarc).to_contain_text("no DMARC record found for coldsend-dashboard.test")
        await site.shot(page, "account-checks")

    async def test_create_a_two_step_campaign_with_a_variant_and_a_schedule(
        self,
        site: Site,
        owner: BrowserContext,
        world: dict[str, Any],
    ) -> None:
        page = await page_of(owner)
        await site.visit(page, "/campaigns/new", "campaign-new")
        await page.fill("#name", "Spring outreach")
        await page.fill("#steps-0-variants-0-subject", "Hello {{firstName}}")
        await page.fill("#steps-0-variants-0-body", "Hi {{firstName}}, a word about {{companyName}}.")
        await page.click("text=Add variant to step 1")
        await page.fill("#steps-0-variants-1-subject", "Quick question, {{firstName}}")
        await page.fill("#steps-0-variants-1-body", "Hello {{firstName}}, one question.")
        await page.click("text=Add step")
        await page.fill("#steps-0-delay", "3")
        await page.fill("#steps-1-variants-0-subject", "Following up")
        await page.fill("#steps-1-variants-0-body", "Just checking in, {{firstName}}.")
        await page.select_option("#timezone", "Etc/GMT+12")
        await page.fill("#from", "00:00")
        await page.fill("#to", "23:59")
        for day in range(7):
            await page.check(f"input[name=days][value='{day}']")
        await page.check(f"input[name=email_list][value='{ACCOUNT}']")
        await page.fill("#email_gap", "0")
        await site.shot(page, "campaign-editor")
        await page.click("#save-campaign")
        await expect(page.locator("#flash.ok")).to_contain_text("created")
        campaign_id = page.url.rsplit("/", 1)[1]
        world["campaign_id"] = campaign_id

        async with site.api() as api:
            campaign = (await api.get(f"/api/v2/campaigns/{campaign_id}")).json()
        steps = campaign["sequences"][0]["steps"]
        assert [len(step["variants"]) for step in steps] == [2, 1]
        assert steps[0]["delay"] == 3
        assert steps[0]["delay_unit"] == "days"
        assert steps[0]["variants"][1]["subject"] == "Quick question, {{firstName}}"
        schedule = campaign["campaign_schedule"]["schedules"][0]
        assert schedule["timezone"] == "Etc/GMT+12"
        assert schedule["timing"] == {"from": "00:00", "to": "23:59"}
        assert all(schedule["days"][str(day)] for day in range(7))
        assert campaign["email_list"] == [ACCOUNT]
        assert campaign["status"] == 0

    async def test_activation_says_what_the_api_says(self, site: Site, owner: BrowserContext) -> None:
        """A campaign without steps cannot be activated: the page shows the API's own message."""
        async with site.api() as api:
            empty = await api.post("/api/v2/campaigns", json=schedule_body("Empty"))
            api_message = (await api.post(f"/api/v2/campaigns/{empty.json()['id']}/activate")).json()[
                "message"
            ]
        page = await page_of(owner)
        await site.visit(page, f"/campaigns/{empty.json()['id']}", "campaign-empty")
        await page.click("text=Activate")
        await expect(page.locator("#flash.error")).to_have_text(api_message)


class TestImport:
    async def test_a_100_row_csv_with_a_custom_column(
        self,
        site: Site,
        owner: BrowserContext,
        world: dict[str, Any],
        tmp_path_factory: pytest.TempPathFactory,
    ) -> None:
        path = tmp_path_factory.mktemp("csv") / "leads.csv"
        path.write_text(csv_rows())
        page = await page_of(owner)
        await site.visit(page, f"/leads/import?campaign={world['campaign_id']}", "import-upload")
        await page.set_input_files("#file", str(path))
        await page.click("text=Upload")
        await expect(page.locator("select[name=column-4]")).to_have_value("custom")
        await site.shot(page, "import-mapping")
        await page.click("#start-import")
        result = page.locator("#import-result")
        await expect(result).to_be_visible(timeout=TIMEOUT_MS)  # the progress page reloads itself when done
        await expect(page.locator("progress")).to_have_attribute("value", "1")
        await expect(page.locator("[data-counter=rows]")).to_have_text(str(LEADS))
        uploaded = LEADS - len(INVALID) - len(REPEATED)
        await expect(page.locator("[data-counter=leads_uploaded]")).to_have_text(str(uploaded))
        skipped = page.locator("#skipped-rows tbody tr")
        await expect(skipped).to_have_count(len(INVALID) + len(REPEATED))
        await expect(page.locator("#skipped-rows")).to_contain_text("missing or malformed email")
        await expect(page.locator("#skipped-rows")).to_contain_text("email repeated within its batch")
        await expect(page.locator("#skipped-rows")).to_contain_text("still@not@valid")  # the row's email cell
        await site.shot(page, "import-result")

        async with site.api() as api:
            listed = await api.post(
                "/api/v2/leads/list", json={"campaign": world["campaign_id"], "limit": 100}
            )
        leads = listed.json()["items"]
        assert len(leads) == uploaded
        by_email = {lead["email"]: lead for lead in leads}
        assert by_email["lead7@example.org"]["payload"]["Favourite Color"] == "blue7"
        world["hostile_lead"] = by_email["lead0@example.org"]["id"]


class TestSending:
    async def test_activate_and_watch_the_sent_count_and_the_chart_move(
        self,
        site: Site,
        owner: BrowserContext,
        world: dict[str, Any],
        sink: SmtpSink,
    ) -> None:
        page = await page_of(owner)
        await site.visit(page, f"/campaigns/{world['campaign_id']}", "campaign")
        await expect(page.locator("#sent-count")).to_have_text("0")
        await page.click("text=Activate")
        await expect(page.locator("#flash.ok")).to_contain_text("Campaign active")
        uploaded = LEADS - len(INVALID) - len(REPEATED)
        await sink.wait_for(uploaded, timeout=120)
        # The page was not reloaded: its live section follows the engine.
        await expect(page.locator("#sent-count")).to_have_text(str(uploaded), timeout=TIMEOUT_MS)
        verdict = page.locator("#sending-verdict")  # why it is not sending now, and the step analytics
        await expect(verdict).to_contain_text("waiting for follow-up delays", timeout=TIMEOUT_MS)
        await expect(page.locator("#campaign-status table")).to_contain_text("Opportunities")
        await site.shot(page, "campaign-sending")
        await site.visit(page, f"/campaigns/{world['campaign_id']}/preview?step=0&variant=1", "preview")
        await expect(page.locator("#preview-subject")).to_contain_text("Quick question, ")

        await site.visit(page, "/analytics", "analytics")
        sent_line = page.locator("#analytics-live polyline[data-series=Sent]").first
        await expect(sent_line).to_have_attribute("data-total", str(uploaded))
        dates = {
            "start_date": await page.input_value("#start_date"),
            "end_date": await page.input_value("#end_date"),
        }
        overview = await api_json(site, "/api/v2/campaigns/analytics/overview", dates)
        daily = await api_json(site, "/api/v2/campaigns/analytics/daily", dates)
        for metric in ("emails_sent_count", "open_count_unique", "reply_count_unique", "bounced_count"):
            await expect(page.locator(f"[data-metric={metric}]")).to_have_text(str(overview[metric]))
        assert sum(day["sent"] for day in daily) == uploaded


class TestUnibox:
    async def test_a_reply_shows_up_live_and_is_answered_through_the_sink(
        self,
        site: Site,
        owner: BrowserContext,
        sink: SmtpSink,
        dovecot: Dovecot,
    ) -> None:
        page = await page_of(owner)
        await site.visit(page, "/unibox", "unibox-empty")
        await deliver(dovecot, ACCOUNT, *lead_replies(sink))
        thread_link = page.locator("#threads a", has_text="lead1@example.org")
        await expect(thread_link).to_be_visible(timeout=TIMEOUT_MS)  # no reload: the list refreshes itself
        await expect(page.locator("#threads a", has_text="lead2@example.org")).to_be_visible(
            timeout=TIMEOUT_MS
        )
        await expect(page.locator("#unread-total")).to_have_text("2 unread")
        await site.shot(page, "unibox")
        await thread_link.click()
        await expect(page.locator("#thread-messages")).to_contain_text(HOSTILE_REPLY)
        assert await page.evaluate("window.pwned") is None
        await site.shot(page, "thread")
        await page.click("text=Mark read")
        await expect(page.locator("#flash.ok")).to_have_text("Marked as read")
        await expect(page.get_by_role("button", name="Mark read")).to_have_count(0)
        await page.select_option("#interest", "1")
        await page.click("text=Set interest")
        await expect(page.locator("#flash.ok")).to_have_text("Interest status changed")

        before = len(sink.received)
        await page.fill("#reply-body", "Great, how about Tuesday?")
        await page.click("text=Send reply")
        await expect(page.locator("#flash.ok")).to_have_text("Reply sent")
        await sink.wait_for(before + 1)
        answer = sink.received[before]
        assert answer.rcpt_tos == ["lead1@example.org"]
        assert answer.message["In-Reply-To"] is not None
        assert "Tuesday" in answer.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        await expect(page.locator("#thread-messages")).to_contain_text("Great, how about Tuesday?")

    async def test_filters_html_replies_forwarding_and_clearing_an_interest(
        self, site: Site, owner: BrowserContext, sink: SmtpSink
    ) -> None:
        page = await page_of(owner)
        await site.visit(page, "/unibox?interest=1", "unibox-interested")
        await expect(page.locator("#unread-total")).to_have_text("1 unread")
        await expect(page.locator("#threads a", has_text="lead1@example.org").first).to_be_visible()
        await expect(page.locator("#threads a", has_text="lead2@example.org")).to_have_count(0)
        await page.goto(site.url + "/unibox?unread=1")
        await page.locator("#threads a", has_text="lead2@example.org").first.click()
        await expect(page.locator("#thread-messages")).to_contain_text(HTML_REPLY_TEXT)  # the HTML as text
        await expect(page.locator("#thread-messages img")).to_have_count(0)
        assert await page.evaluate("window.pwned") is None
        before = len(sink.received)
        await page.fill("#forward-to", "colleague@example.com")
        await page.click("#forward-form button")
        await expect(page.locator("#flash.ok")).to_have_text("Forwarded")
        await sink.wait_for(before + 1)
        assert sink.received[before].rcpt_tos == ["colleague@example.com"]

        await page.goto(site.url + "/unibox?interest=1")
        await page.locator("#threads a", has_text="lead1@example.org").first.click()
        await page.click("text=Lead: lead1@example.org")
        await expect(page.locator("#interest")).to_have_value("1")
        await page.select_option("#interest", "")  # "not set": the interest is cleared
        await page.click("text=Set interest")
        await expect(page.locator("#flash.ok")).to_have_text("Interest status changed")
        await expect(page.locator("#interest")).to_have_value("")
        async with site.api() as api:
            lead = (await api.get(f"/api/v2/leads/{page.url.rsplit('/', 1)[1]}")).json()
        assert lead["email"] == "lead1@example.org"
        assert lead["lt_interest_status"] is None


class TestDeliverability:
    async def test_an_inbox_placement_test_and_its_results(
        self, site: Site, owner: BrowserContext, sink: SmtpSink, dovecot: Dovecot
    ) -> None:
        test_id = await run_placement_test(site, sink, dovecot)
        page = await page_of(owner)
        await site.visit(page, "/deliverability", "deliverability-running")
        row = page.locator(f"#placement-tests tr[data-test='{test_id}']")
        await expect(row.locator("[data-stat=inbox]")).to_have_text("100%", timeout=TIMEOUT_MS)  # live
        await expect(row).to_contain_text("completed", timeout=TIMEOUT_MS)
        await site.shot(page, "deliverability")
        await row.locator("a").click()
        await expect(page.locator("#placement-copies [data-landed]")).to_have_text("inbox (INBOX)")
        await expect(page.locator("#placement-reports")).to_contain_text("not run")
        await site.shot(page, "placement-test")


class TestHostileContent:
    async def test_a_lead_named_script_shows_as_text(
        self,
        site: Site,
        owner: BrowserContext,
        world: dict[str, Any],
    ) -> None:
        page = await page_of(owner)
        response = await site.visit(page, f"/leads?campaign={world['campaign_id']}", "leads")
        assert response is not None
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        await expect(page.locator("#leads-table")).to_contain_text(HOSTILE_NAME)
        await site.visit(page, f"/leads/{world['hostile_lead']}", "lead")
        await expect(page.locator("h1")).to_contain_text(HOSTILE_NAME)
        await expect(page.locator("main pre.mail")).to_have_count(1)  # the email sent to the lead
        await expect(page.locator("text=Nothing yet.")).to_have_count(0)  # its activity
        assert await page.evaluate("window.pwned") is None

    async def test_a_post_without_the_csrf_token_is_refused(
        self,
        site: Site,
        owner: BrowserContext,
        world: dict[str, Any],
    ) -> None:
        page = await page_of(owner)
        refused = await page.request.post(site.url + f"/campaigns/{world['campaign_id']}/pause", form={})
        assert refused.status == 403
        forged = await page.request.post(
            site.url + f"/campaigns/{world['campaign_id']}/pause", form={"csrf_token": "forged"}
        )
        assert forged.status == 403
        async with site.api() as api:
            assert (await api.get(f"/api/v2/campaigns/{world['campaign_id']}")).json()["status"] == 1

    async def test_another_workspaces_campaign_is_a_404_page(self, site: Site, owner: BrowserContext) -> None:
        theirs = await another_workspaces_campaign(site)
        page = await page_of(owner)
        response = await page.goto(site.url + f"/campaigns/{theirs}")
        assert response is not None
        assert response.status == 404
        await expect(page.locator("h1")).to_have_text("Not found")
        missing = await page.goto(site.url + f"/campaigns/{uuid.uuid4()}")
        assert missing is not None
        assert missing.status == 404


class TestViewOnlyMember:
    async def test_a_viewer_sees_no_buttons_and_forced_posts_get_403(
        self,
        site: Site,
        owner: BrowserContext,
        browser: Browser,
        world: dict[str, Any],
    ) -> None:
        page = await page_of(owner)
        await site.visit(page, "/settings/members", "members")
        await page.fill("#invite-email", VIEWER)
        await page.select_option("#invite-role", "view")
        await page.click("#invite-submit")
        link = await page.inner_text("#invite-link")
        await site.shot(page, "members-invited")

        context = await browser.new_context()
        try:
            viewer = await context.new_page()
            await viewer.goto(link)
            await viewer.fill("#password", PASSWORD)
            await viewer.fill("#confirmation", PASSWORD)
            await viewer.click("text=Set password and sign in")
            await expect(viewer).to_have_url(site.url + "/campaigns")
            await expect(viewer.locator("text=New campaign")).to_have_count(0)
            await site.visit(viewer, f"/campaigns/{world['campaign_id']}", "campaign-viewer")
            for label in ("Activate", "Pause", "Save", "Add step", "Delete campaign", "Import CSV"):
                await expect(viewer.get_by_role("button", name=label, exact=True)).to_have_count(0)
            await expect(viewer.locator("#name")).to_be_disabled()
            token = await csrf_of(viewer)
            for path in (
                f"/campaigns/{world['campaign_id']}/pause",
                f"/campaigns/{world['campaign_id']}",
                "/settings/api-keys",
                f"/leads/{world['hostile_lead']}/interest",
            ):
                forced = await viewer.request.post(site.url + path, form={"csrf_token": token, "name": "x"})
                assert forced.status == 403, path
            await site.visit(viewer, "/settings/api-keys", "api-keys-viewer")
            await expect(viewer.locator("text=Create key")).to_have_count(0)
        finally:
            await context.close()
        async with site.api() as api:
            campaign = (await api.get(f"/api/v2/campaigns/{world['campaign_id']}")).json()
        assert campaign["status"] == 1
        assert campaign["name"] == "Spring outreach"


class TestSettingsPages:
    async def test_an_api_key_is_shown_once_and_works(self, site: Site, owner: BrowserContext) -> None:
        page = await page_of(owner)
        await site.visit(page, "/settings/api-keys", "api-keys")
        await page.fill("#key-name", "Zapier")
        await page.check("input[name=scopes][value='campaigns:read']")
        await page.click("text=Create key")
        key = await page.inner_text("#new-api-key")
        async with httpx.AsyncClient(base_url=site.url, headers={"Authorization": f"Bearer {key}"}) as api:
            assert (await api.get("/api/v2/campaigns")).status_code == 200
            assert (await api.get("/api/v2/leads/list")).status_code in (403, 405)
        await page.goto(site.url + "/settings/api-keys")
        await expect(page.locator("#api-keys")).not_to_contain_text(key)
        await page.set_viewport_size({"width": 683, "height": 768})  # a laptop's half screen
        for path in (
            "/settings/block-list",
            "/settings/tags",
            "/accounts",
            "/campaigns",
            "/leads",
            "/unibox",
        ):
            response = await site.visit(page, path, path.rsplit("/", 1)[1] + "-half-screen")
            assert response is not None
            assert response.status == 200
            assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
        await page.set_viewport_size({"width": 1280, "height": 720})

    async def test_a_webhook_is_created_tested_and_logged(self, site: Site, owner: BrowserContext) -> None:
        page = await page_of(owner)
        await site.visit(page, "/settings/webhooks", "webhooks-empty")
        with receiver(verify=False) as hooks:
            await page.fill("#hook-url", hooks.url("/coldsend"))
            await page.fill("#hook-name", "CRM")
            await page.select_option("#hook-event", "reply_received")
            await page.click("#create-webhook")
            await expect(page.locator("#webhooks")).to_contain_text(hooks.url("/coldsend"))
            await page.click("#webhooks >> text=Test")
            await expect(page.locator("#flash.ok")).to_contain_text("Webhook test successful (HTTP 204")
            posted = hooks.requests("/coldsend")
        assert [(p.json()["event_type"], p.json()["is_test"]) for p in posted] == [("reply_received", True)]
        row = page.locator("#webhook-log tbody tr").first
        await expect(row).to_contain_text("reply_received")
        await expect(row).to_contain_text("204 ok")
        await site.shot(page, "webhooks")
        async with site.api() as api:
            listed = (await api.get("/api/v2/webhooks")).json()["items"]
            logged = (await api.get("/api/v2/webhook-events")).json()["items"]
        assert [(w["name"], w["event_type"]) for w in listed] == [("CRM", "reply_received")]
        assert [(e["status_code"], e["success"]) for e in logged] == [(204, True)]

    def test_no_token_in_the_server_log(self, site: Site) -> None:
        log = site.stderr.read_text()
        token = site.setup_link.rsplit("/", 1)[1]
        assert "/sign-in/link/[token]" in log
        assert token not in log
        assert site.key not in log


class TestSignInThrottle:
    async def test_wrong_passwords_are_rate_limited(self, site: Site, browser: Browser) -> None:
        context = await browser.new_context()
        try:
            for _attempt in range(5):
                page = await sign_in(context, site, OWNER, "not the password")
                await expect(page.locator(".notice.error")).to_have_text("Wrong email or password")
                await page.close()
            page = await sign_in(context, site, OWNER, PASSWORD)  # right, but too late
            await expect(page.locator(".notice.error")).to_contain_text("Too many failed sign-ins")
            await site.shot(page, "sign-in-throttled")
            assert not any(c["name"] == "coldsend_session" for c in await context.cookies())
        finally:
            await context.close()
