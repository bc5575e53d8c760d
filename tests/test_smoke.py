from ismartsync.models import User
from tests import factories


def test_owner_signs_in_and_sees_the_dashboard(browser, owner):
    browser.sign_in(owner)
    page = browser.get("/").get_data(as_text=True)
    assert f"Hello, {owner.first_name}" in page


def test_sign_up_creates_a_merchant_with_its_owner(browser, app):
    response = browser.post(
        "/sign-up",
        {
            "legal_name": "Chenab Traders",
            "brand_name": "Chenab",
            "owner_name": "Ali Raza",
            "email": "ali@chenab.pk",
            "password": "a-long-password",
        },
    )
    assert response.status_code == 303
    from ismartsync.extensions import db

    user = db.session.query(User).filter_by(email="ali@chenab.pk").one()
    assert user.role.is_owner
    assert factories.PASSWORD != "a-long-password"
