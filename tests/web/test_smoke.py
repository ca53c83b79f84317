def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b"User name" in response.data


def test_handheld_home_after_sign_in(client, login_as):
    login_as("operator")
    response = client.get("/handheld/")
    assert response.status_code == 200
    assert b"Hello" in response.data
