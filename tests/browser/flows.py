"""What a person does in the pages, as small steps the browser tests combine."""
import re
import uuid

from playwright.sync_api import expect

from tests import builders

PASSWORD = "Field#Pass2026"


def unique(prefix):
    return f"{prefix}{uuid.uuid4().hex[:6]}"


def fill(page, values, scope="main form[method=post]"):
    """Fill fields by name: text, date, select, checkbox groups (a list) and radios alike."""
    form = page.locator(scope).last if scope else page
    for name, value in values.items():
        field = form.locator(f'[name="{name}"]')
        first = field.first
        tag = first.evaluate("e => e.tagName.toLowerCase()")
        kind = (first.get_attribute("type") or "").lower()
        if tag == "select":
            first.select_option(str(value))
        elif kind == "checkbox" and isinstance(value, (list, tuple)):
            for box in field.all():
                box.set_checked(box.get_attribute("value") in value)
        elif kind == "checkbox":
            first.set_checked(bool(value))
        elif kind == "radio":
            form.locator(f'[name="{name}"][value="{value}"]').check()
        else:
            first.fill("" if value is None else str(value))


def press(page, label):
    """Click the button with this exact label. Playwright's click waits for the navigation it
    starts; page.expect_navigation() must not be used: under eventlet (root conftest) its event
    wait never returns."""
    page.get_by_role("button", name=label, exact=True).click()


def click_confirming(page, locator):
    """Click something that asks confirm() first, answering yes. Not page.on("dialog"): like
    expect_navigation(), Playwright's event waits hang under eventlet's monkey patching."""
    page.evaluate("window.confirm = () => true")
    locator.click()


def login(page, username, password=PASSWORD):
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    press(page, "登录")
    expect(page.locator("header .who button")).to_have_text("退出")


def institution_form(name, code, district="浦东新区", type_="om"):
    data = builders.institution(name=name, type_=type_, district=district, code=code)
    return {
        "institution.name": data["name"], "institution.type": data["type"],
        "institution.credit_code": data["credit_code"],
        "institution.legal_representative": data["legal_representative"],
        "institution.contact_person": data["contact_person"],
        "institution.contact_phone": data["contact_phone"], "institution.email": data["email"],
        "institution.website": "https://www.qingyuan-env.example.cn",
        "institution.address": data["address"], "institution.lab_address": data["lab_address"],
        "institution.district": data["district"],
        "institution.registered_capital": data["registered_capital"],
        "institution.capabilities": data["capabilities"],
    }


def account_form(username, name="张明", password=PASSWORD, prefix="account."):
    return {f"{prefix}username": username, f"{prefix}name": name, f"{prefix}password": password,
            f"{prefix}password_confirm": password}


def register_institution(page, name, username, district="浦东新区", code=None):
    page.goto("/register/institution")
    fill(page, {**institution_form(name, code or builders.credit_code(), district),
                **account_form(username)})
    press(page, "提交注册")
    expect(page.locator("h1")).to_have_text("注册成功")


def staff_form(name, role, n, valid_until="2028-12-31", certificate=True):
    data = builders.staff(name=name, role=role, valid_until=valid_until, n=n)
    values = {"name": data["name"], "gender": data["gender"], "id_number": data["id_number"],
              "education": data["education"], "post": data["post"], "title": data["title"],
              "technical_role": data["technical_role"], "is_professional": True}
    if certificate:
        cert = data["certificate"]
        values.update({"certificate.number": cert["number"], "certificate.issuer": cert["issuer"],
                       "certificate.category": cert["category"],
                       "certificate.valid_from": cert["valid_from"],
                       "certificate.valid_until": cert["valid_until"]})
    return values


def add_item(page, section, label, values):
    """On the institution portal: open a 二审 section, add one item, back on the list."""
    page.goto(f"/portal/institution/{section}")
    page.get_by_role("link", name=f"新增{label}").click()
    fill(page, values)
    press(page, "保存")
    expect(page.locator(".flash")).to_contain_text(f"已新增{label}")


def status_is(page, label):
    expect(page.locator("#filing-status")).to_have_text(label)


def no_horizontal_overflow(page):
    """The page itself must not scroll sideways on a phone (tables scroll inside their box)."""
    width = page.evaluate("document.documentElement.clientWidth")
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width + 1, f"page is {scroll}px wide in a {width}px viewport"


def text_of(page, selector):
    return re.sub(r"\s+", " ", page.locator(selector).inner_text()).strip()
