"""`coldsend leads import`: the column mapping, and the real command against the test database."""

import csv
import io
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from coldsend.leads.importing import CsvImportError, build_mapping
from tests.campaigns.test_router import ready
from tests.conftest import Tenant
from tests.factories import create_campaign
from tests.test_cli import cli_env, run


class TestColumnMapping:
    def test_header_names_and_custom_variables(self) -> None:
        headers = ["E-mail", "FirstName", "last name", "Company", "Job Title", "Favorite Color", "notes", ""]
        mapping = build_mapping(headers, ["NOTES=personalization"])
        assert mapping.fields == {
            "notes": "personalization",
            "E-mail": "email",
            "FirstName": "first_name",
            "last name": "last_name",
            "Company": "company_name",
            "Job Title": "job_title",
        }
        assert mapping.custom == {"Favorite Color": "Favorite Color"}
        assert mapping.ignored == ("",)
        values = mapping.lead_values(
            {"E-mail": " a@x.io ", "FirstName": "", "notes": "hi", "Favorite Color": "teal", None: ["extra"]}
        )
        assert values == {
            "email": "a@x.io",
            "personalization": "hi",
            "custom_variables": {"Favorite Color": "teal"},
        }

    def test_map_overrides_and_ignores(self) -> None:
        mapping = build_mapping(
            ["email", "Work Email", "Score", "junk"],
            ["work email=email", "Score=lt_interest_status", "junk="],
        )
        assert mapping.fields == {"Work Email": "email", "Score": "lt_interest_status"}
        assert mapping.custom == {"email": "email"}  # displaced by --map: kept as a custom variable
        assert mapping.ignored == ("junk",)
        assert mapping.lead_values({"Work Email": "w@x.io", "Score": "2", "email": "p@x.io"}) == {
            "email": "w@x.io",
            "lt_interest_status": 2,
            "custom_variables": {"email": "p@x.io"},
        }

    @pytest.mark.parametrize(
        ("headers", "specs", "message"),
        [
            (["email"], ["email=shoe_size"], "unknown lead field"),
            (["email"], ["mail=email"], "no column 'mail'"),
            (["a", "b"], ["a=email", "b=email"], "both map to email"),
            (["a", "b"], [], "no column maps to email"),
            (["email", "email"], [], "appears twice"),
            (["email"], ["email"], "expected CSV_COLUMN=LEAD_FIELD"),
        ],
    )
    def test_mistakes_are_refused(self, headers: list[str], specs: list[str], message: str) -> None:
        with pytest.raises(CsvImportError, match=message):
            build_mapping(headers, specs)


CSV_TEXT = (
    "Email,First Name,Company,Favorite Color,Tier\n"
    "new1@acme.io,Ada,Acme,teal,gold\n"  # row 2: uploaded
    "existing@acme.io,Eve,Acme,,\n"  # row 3: already in the campaign
    "someone@blocked.example,Bob,Blocked,,\n"  # row 4: in the block list (its domain)
    "not-an-email,Nope,,,\n"  # row 5: invalid email
    "NEW1@Acme.io,Ada again,,,\n"  # row 6: repeated in its batch
    f"new2@acme.io,{'x' * 501},,,\n"  # row 7: a first name too long for a lead
    ",,,,\n"  # blank: not a row at all
    "new3@acme.io,Cy,,,\n"  # row 9: uploaded
)


async def listed(tenant: Tenant, campaign_id: str) -> dict[str, dict[str, Any]]:
    response = await tenant.client.post("/api/v2/leads/list", json={"campaign": campaign_id, "limit": 100})
    assert response.status_code == 200, response.text
    return {lead["email"]: lead for lead in response.json()["items"]}


class TestImportCommand:
    async def test_counters_report_and_leads(self, tenant: Tenant, database_url: str, tmp_path: Path) -> None:
        campaign_id = (await create_campaign(tenant, **ready()))["id"]
        added = await tenant.client.post(
            "/api/v2/leads/add", json={"campaign_id": campaign_id, "leads": [{"email": "existing@acme.io"}]}
        )
        assert added.json()["leads_uploaded"] == 1
        blocked = await tenant.client.post(
            "/api/v2/block-lists-entries", json={"bl_value": "blocked.example"}
        )
        assert blocked.status_code == 200, blocked.text
        source = tmp_path / "leads.csv"
        source.write_text(CSV_TEXT, encoding="utf-8")
        report = tmp_path / "skipped.csv"
        env = cli_env(database_url, tmp_path)

        done = run(
            ["leads", "import", str(source), "--campaign", campaign_id, "--skipped-report", str(report)], env
        )

        assert done.returncode == 0, done.stderr
        assert len(done.stdout.splitlines()) == 1
        assert json.loads(done.stdout) == {
            "rows": 7,
            "total_sent": 6,
            "leads_uploaded": 2,
            "duplicated_leads": 1,
            "in_blocklist": 1,
            "skipped_count": 0,
            "invalid_email_count": 1,
            "incomplete_count": 0,
            "duplicate_email_count": 1,
            "invalid_rows": 1,
            "batches": 1,
        }
        assert "Uploaded" in done.stderr
        rows = list(csv.DictReader(io.StringIO(report.read_text(encoding="utf-8"))))
        assert sorted((int(row["row"]), row["reason"], row["Email"]) for row in rows) == [
            (3, "duplicated_lead", "existing@acme.io"),
            (4, "in_blocklist", "someone@blocked.example"),
            (5, "invalid_email", "not-an-email"),
            (6, "duplicate_email", "NEW1@Acme.io"),
            (7, "invalid_row", "new2@acme.io"),
        ]
        assert "first_name" in next(row["detail"] for row in rows if row["reason"] == "invalid_row")

        leads = await listed(tenant, campaign_id)
        assert set(leads) == {"existing@acme.io", "new1@acme.io", "new3@acme.io"}
        assert leads["new1@acme.io"]["first_name"] == "Ada"
        assert leads["new1@acme.io"]["company_name"] == "Acme"
        assert leads["new1@acme.io"]["payload"] == {"Favorite Color": "teal", "Tier": "gold"}
        assert leads["new3@acme.io"]["payload"] is None

        # Again, one lead per batch: what was uploaded is now already there.
        again = run(["leads", "import", str(source), "--campaign", campaign_id, "--batch-size", "1"], env)
        assert again.returncode == 0, again.stderr
        totals = json.loads(again.stdout)
        assert (totals["leads_uploaded"], totals["duplicated_leads"], totals["batches"]) == (0, 4, 6)
        assert (totals["in_blocklist"], totals["invalid_email_count"], totals["invalid_rows"]) == (1, 1, 1)

    async def test_list_with_skip_flag(self, tenant: Tenant, database_url: str, tmp_path: Path) -> None:
        campaign_id = (await create_campaign(tenant, **ready()))["id"]
        await tenant.client.post(
            "/api/v2/leads/add", json={"campaign_id": campaign_id, "leads": [{"email": "taken@acme.io"}]}
        )
        made = await tenant.client.post("/api/v2/lead-lists", json={"name": "Imported"})
        assert made.status_code == 200, made.text
        list_id = made.json()["id"]
        source = tmp_path / "list.csv"
        source.write_text("mail,who\ntaken@acme.io,A\nfresh@acme.io,B\n,C\n,\n", encoding="utf-8")

        done = run(
            [
                "leads",
                "import",
                str(source),
                "--list",
                list_id,
                "--workspace",
                str(tenant.workspace_id),
                "--map",
                "mail=email",
                "--map",
                "who=first_name",
                "--skip-if-in-campaign",
            ],
            cli_env(database_url, tmp_path),
        )

        assert done.returncode == 0, done.stderr
        totals = json.loads(done.stdout)
        assert (totals["rows"], totals["leads_uploaded"], totals["skipped_count"]) == (3, 2, 1)
        response = await tenant.client.post("/api/v2/leads/list", json={"list_id": list_id})
        assert {(lead["email"], lead["first_name"]) for lead in response.json()["items"]} == {
            ("fresh@acme.io", "B"),
            (None, "C"),
        }

    async def test_mistakes_exit_2_with_empty_stdout(
        self, tenant: Tenant, database_url: str, tmp_path: Path
    ) -> None:
        source = tmp_path / "leads.csv"
        source.write_text("email\na@acme.io\n", encoding="utf-8")
        env = cli_env(database_url, tmp_path)
        other = str(uuid.uuid4())
        for args, message in [
            (["--campaign", other, "--list", other], "exactly one"),
            (["--campaign", other], "Campaign not found"),
            (["--campaign", other, "--workspace", str(tenant.workspace_id)], "Campaign not found"),
        ]:
            done = run(["leads", "import", str(source), *args], env)
            assert done.returncode == 2, (args, done.stderr)
            assert done.stdout == ""
            assert message in done.stderr
        campaign_id = (await create_campaign(tenant, **ready()))["id"]
        done = run(["leads", "import", str(source), "--campaign", campaign_id, "--map", "email=shoe"], env)
        assert done.returncode == 2
        assert "unknown lead field" in done.stderr
        assert await listed(tenant, campaign_id) == {}
