"""Rendering campaign copy: Instantly's variables, spintax and Liquid, in a sandbox."""

from typing import Any

import pytest

from coldsend.leads.variables import lead_missing_variables, lead_variables
from coldsend.mail.render import (
    SYSTEM_VARIABLES,
    TemplateError,
    missing_variables,
    render_copy,
    resolve_spintax,
    used_variables,
    validate_copy,
)
from coldsend.models import Account, Lead


def make_lead(**fields: Any) -> Lead:
    values: dict[str, Any] = {
        "email": "ada@lovelace.example",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "company_name": "Analytical Engines",
        "company_domain": "lovelace.example",
        "job_title": "Engineer",
        "phone": "+44 20 0000",
        "website": "https://lovelace.example",
        "personalization": "Loved your notes on the engine.",
        "payload": {"industry": "Computing", "Industry": "upper", "seats": 12, "tags": ["a", "b"]},
    }
    values.update(fields)
    return Lead(**values)


def make_account(**fields: Any) -> Account:
    values: dict[str, Any] = {
        "email": "bob@sender.example",
        "first_name": "Bob",
        "last_name": "Sender",
        "signature": "<div>Bob<br/>Sender &amp; Co</div>",
    }
    values.update(fields)
    return Account(**values)


def render(body: str, subject: str = "s", seed: str = "seed", **variables: object) -> Any:
    context = lead_variables(make_lead(), make_account())
    context.update(variables)
    return render_copy(subject, body, context, seed=seed)


class TestVariables:
    def test_standard_lead_variables(self) -> None:
        body = (
            "{{firstName}}|{{lastName}}|{{email}}|{{companyName}}|{{companyDomain}}|{{jobTitle}}"
            "|{{phone}}|{{website}}|{{personalization}}"
        )
        copy = render(body, subject="Hi {{firstName}} at {{companyName}}")
        assert copy.subject == "Hi Ada at Analytical Engines"
        assert copy.html == (
            "Ada|Lovelace|ada@lovelace.example|Analytical Engines|lovelace.example|Engineer"
            "|+44 20 0000|https://lovelace.example|Loved your notes on the engine."
        )
        assert copy.missing == ()

    def test_custom_variables_are_case_sensitive(self) -> None:
        copy = render("<p>{{industry}} / {{Industry}} / {{seats}} / {{INDUSTRY}}</p>")
        assert copy.html == "<p>Computing / upper / 12 / </p>"
        assert copy.missing == ("INDUSTRY",)

    def test_non_scalar_custom_variable_is_plain_text(self) -> None:
        assert render("{{tags}}").html == "[&#34;a&#34;, &#34;b&#34;]"

    def test_any_payload_key_is_a_variable(self) -> None:
        lead = make_lead(payload={"self": "me", "args": "a", "kwargs": "k", "my-key": "dash"})
        copy = render_copy(
            "", "{{self}} {{args}} {{kwargs}} {{my-key}}", lead_variables(lead, make_account()), seed="x"
        )
        assert copy.html == "me a k dash"

    def test_standard_fields_win_over_payload_keys(self) -> None:
        lead = make_lead(payload={"firstName": "Payload"})
        copy = render_copy("", "{{firstName}}", lead_variables(lead, make_account()), seed="x")
        assert copy.html == "Ada"

    def test_system_variables_come_from_the_account(self) -> None:
        copy = render(
            "{{sendingAccountFirstName}} {{sendingAccountLastName}} ({{sendingAccountFullName}}, "
            "{{sendingAccountEmail}})<br/>{{accountSignature}}"
        )
        assert copy.html == (
            "Bob Sender (Bob Sender, bob@sender.example)<br/><div>Bob<br/>Sender &amp; Co</div>"
        )
        assert copy.text == "Bob Sender (Bob Sender, bob@sender.example)\nBob\nSender & Co"
        assert {"accountSignature", "sendingAccountFirstName"} <= SYSTEM_VARIABLES

    def test_lead_values_are_escaped_in_html_not_in_subject_or_text(self) -> None:
        copy = render("<p>Hi {{firstName}}</p>", subject="Re {{firstName}}", firstName="Tom & <b>Jerry</b>")
        assert copy.html == "<p>Hi Tom &amp; &lt;b&gt;Jerry&lt;/b&gt;</p>"
        assert copy.subject == "Re Tom & <b>Jerry</b>"
        assert copy.text == "Hi Tom & <b>Jerry</b>"

    def test_subject_is_one_line(self) -> None:
        assert (
            render("b", subject="Hi {{firstName}}", firstName="A\r\nBcc: x@y.z").subject == "Hi A Bcc: x@y.z"
        )


class TestMissingVariables:
    def test_missing_and_empty_render_empty_never_raw(self) -> None:
        copy = render("Hi {{nickname}}, {{ firstName }}!", subject="{{nickname}}x", firstName="")
        assert copy.html == "Hi , !"
        assert copy.subject == "x"
        assert "{{" not in copy.html + copy.text + copy.subject
        assert copy.missing == ("firstName", "nickname")

    def test_default_filter_is_the_fallback(self) -> None:
        copy = render(
            'Hi {{ firstName | default: "there" }}, {{ industry | default: "friend" }}', firstName=None
        )
        assert copy.html == "Hi there, Computing"
        assert copy.missing == ("firstName",)

    def test_blank_value_uses_default(self) -> None:
        assert render("{{ companyName | default: 'your team' }}", companyName="").html == "your team"

    def test_missing_variables_lists_leads_gaps(self) -> None:
        used = used_variables(
            "Hi {{firstName}}", "{% if city != blank %}{{city}}{% endif %}{{RANDOM|a|{{x}}}}"
        )
        assert used == {"firstName", "city", "x"}
        assert missing_variables(used, {"firstName": "Ada", "city": "  "}) == ("city", "x")
        assert missing_variables(used, {"firstName": "Ada", "city": "Paris", "x": 0}) == ()

    def test_which_leads_miss_variables(self) -> None:
        used = used_variables("Hi {{firstName}}", "{{industry}} {{city}}<br/>{{accountSignature}}")
        assert lead_missing_variables(used, make_lead()) == ("city",)
        assert lead_missing_variables(used, make_lead(first_name=" ", payload={"city": "Paris"})) == (
            "firstName",
            "industry",
        )


class TestSpintax:
    def test_picks_one_option_trimmed(self) -> None:
        seen = {render("{{RANDOM | Hi | Hello | Hey}} Ada", seed=str(n)).html for n in range(60)}
        assert seen == {"Hi Ada", "Hello Ada", "Hey Ada"}

    def test_keyword_is_case_insensitive(self) -> None:
        for keyword in ("random", "Random", "rAnDoM"):
            assert render(f"{{{{{keyword}|x}}}}").html == "x"

    def test_same_seed_same_text(self) -> None:
        body = "{{RANDOM|a|b|c|d}}{{RANDOM|e|f|g|h}}{{RANDOM|i|j|k|l}}"
        first = render(body, subject="{{RANDOM|1|2|3}}", seed="send-1")
        assert all(render(body, subject="{{RANDOM|1|2|3}}", seed="send-1") == first for _ in range(5))
        assert len({render(body, seed=f"send-{n}").html for n in range(40)}) > 1

    def test_option_may_hold_a_variable(self) -> None:
        seen = {
            render("{{RANDOM | Hi {{firstName}} | Hey {{ companyName | upcase }}}}", seed=str(n)).html
            for n in range(40)
        }
        assert seen == {"Hi Ada", "Hey ANALYTICAL ENGINES"}

    def test_empty_option_is_allowed(self) -> None:
        seen = {render("Hi{{RANDOM| there|}}!", seed=str(n)).html for n in range(40)}
        assert seen == {"Hithere!", "Hi!"}

    def test_nested_spintax(self) -> None:
        seen = {resolve_spintax("{{RANDOM|a{{RANDOM|1|2}}|b}}", seed=str(n)) for n in range(60)}
        assert seen == {"a1", "a2", "b"}

    def test_deeply_nested_spintax_is_a_template_error(self) -> None:
        with pytest.raises(TemplateError, match="nested"):
            render("{{RANDOM|" * 3000 + "x" + "}}" * 3000)

    def test_unterminated_spintax_is_a_template_error(self) -> None:
        with pytest.raises(TemplateError):
            render("{{RANDOM | a | b")


class TestLiquid:
    def test_if_blank_else(self) -> None:
        body = "{% if firstName != blank %}Hi {{firstName}}{% else %}Hi there{% endif %}"
        assert render(body).html == "Hi Ada"
        assert render(body, firstName="").html == "Hi there"
        assert render(body, firstName=None).html == "Hi there"
        assert render(body.replace("firstName", "nickname")).html == "Hi there"

    def test_filters(self) -> None:
        assert (
            render("{{ firstName | upcase }} {{ lastName | downcase | capitalize }}").html == "ADA Lovelace"
        )

    def test_syntax_error_is_a_template_error(self) -> None:
        for body in (
            "{% if firstName %}no end",
            "{{ firstName",
            "{{ firstName | no_such_filter }}",
            "{% endif %}",
        ):
            with pytest.raises(TemplateError):
                render(body)

    def test_validate_copy(self) -> None:
        validate_copy("Hi {{firstName}}", "{% if x %}{{RANDOM|a|b}}{% endif %}")
        with pytest.raises(TemplateError, match="parse"):
            validate_copy("Hi {{firstName", "ok")


class TestSandbox:
    @pytest.mark.parametrize(
        "body",
        [
            "{{ firstName.__class__ }}",
            "{{ firstName.__class__.__mro__ }}",
            "{{ firstName.__init__.__globals__ }}",
            "{{ __builtins__ }}",
            "{{ self }}{{ settings }}{{ environment }}",
            "{{ firstName['__class__'] }}",
        ],
    )
    def test_no_python_internals(self, body: str) -> None:
        assert render(body).html == ""

    @pytest.mark.parametrize(
        "body",
        [
            "{% include '/etc/passwd' %}",
            "{% render 'coldsend/config.py' %}",
            "{% for i in (1..100000000) %}x{% endfor %}",
            "{% assign a = 'xxxxxxxxxx' %}{% for i in (1..60) %}"
            "{% capture a %}{{a}}{{a}}{% endcapture %}{% endfor %}",
        ],
    )
    def test_file_access_and_runaway_templates_fail_cleanly(self, body: str) -> None:
        with pytest.raises(TemplateError):
            render(body)

    def test_lead_data_is_never_evaluated_as_a_template(self) -> None:
        copy = render("{{firstName}}", firstName="{{accountSignature}}{% include 'x' %}")
        assert copy.html == "{{accountSignature}}{% include &#39;x&#39; %}"


class TestHtmlAndText:
    def test_text_part_from_html(self) -> None:
        body = (
            "<div>Hi {{firstName}},</div><div><br></div><div>See <a href='https://example.com/a?b=1&amp;c=2'>"
            "our site</a> &amp; reply.</div><ul><li>one</li><li>two</li></ul><p>Bye</p>"
        )
        copy = render(body)
        assert (
            copy.text
            == "Hi Ada,\n\nSee our site (https://example.com/a?b=1&c=2) & reply.\n- one\n- two\n\nBye"
        )

    def test_plain_text_copy_gets_br_line_breaks(self) -> None:
        copy = render("Hi {{firstName}},\nline two\n\nBye")
        assert copy.html == "Hi Ada,<br/>\nline two<br/>\n<br/>\nBye"
        assert copy.text == "Hi Ada,\nline two\n\nBye"

    def test_hidden_elements_stay_out_of_text(self) -> None:
        copy = render("<html><head><style>p {color: red}</style></head><body><p>Visible</p></body></html>")
        assert copy.text == "Visible"
