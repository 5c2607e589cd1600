"""The public official-channel check: active, paused or unknown, by account, URL or QR photo."""

import io
import os

import pytest
from PIL import Image

from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from wagtail.images import get_image_model

from home import qr, services
from home.models import ChannelStatus
from tests.home import factories

pytestmark = pytest.mark.django_db

URL = reverse("home:channel_check")


@pytest.fixture(autouse=True)
def clear_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def channels():
    bank = factories.DonationChannelFactory(name="官方专户", account_number="6222 0210 0104 2368 117")
    online = factories.OnlineChannelFactory(
        name="官方网捐", payment_url="https://pay.example.gov.cn/donate/1"
    )
    paused = factories.DonationChannelFactory(name="暂停专户", account_number="6222 0210 9999 0000")
    paused.status = ChannelStatus.PAUSED
    paused.pause_reason = "账户年检"
    paused.save_revision().publish()
    hotline = factories.HotlineChannelFactory(contact_phone="0571 12345")
    return {"bank": bank, "online": online, "paused": paused, "hotline": hotline}


def png_of_qr(text):
    png, _w, _h = services.qr_png(text)
    # A "photo": the code on a larger grey background.
    code = Image.open(io.BytesIO(png)).convert("RGB")
    photo = Image.new("RGB", (code.width + 200, code.height + 200), (200, 200, 200))
    photo.paste(code, (100, 100))
    buffer = io.BytesIO()
    photo.save(buffer, format="JPEG", quality=90)
    return SimpleUploadedFile("qr.jpg", buffer.getvalue(), content_type="image/jpeg")


def check(client, **data):
    return client.post(URL, data)


def test_an_official_account_number_is_confirmed_however_it_is_spaced(client, channels):
    html = check(client, account_number="622202100104 2368117").content.decode()
    assert "这是本局的官方捐赠渠道" in html and "官方专户" in html


def test_an_official_payment_url_is_confirmed_despite_case_and_trailing_slash(client, channels):
    html = check(client, payment_url="https://PAY.example.gov.cn/donate/1/").content.decode()
    assert "这是本局的官方捐赠渠道" in html and "官方网捐" in html


def test_a_paused_channel_is_reported_as_paused_with_its_reason(client, channels):
    html = check(client, account_number="6222021099990000").content.decode()
    assert "目前已暂停使用" in html and "账户年检" in html


def test_an_unknown_account_gets_a_warning_and_the_hotline(client, channels):
    html = check(client, account_number="6222 9999 8888 7777").content.decode()
    assert "不是本局公布的捐赠渠道" in html
    assert "谨防诈骗" in html
    assert 'href="tel:057112345"' in html


def test_an_unpublished_channel_is_unknown(client, channels):
    factories.DonationChannelFactory(account_number="6222 1111 2222 3333", publish=False)
    assert "不是本局公布的捐赠渠道" in check(client, account_number="6222111122223333").content.decode()


def test_a_qr_photo_is_decoded_and_checked_and_nothing_is_kept(client, channels):
    images_before = get_image_model().objects.count()
    media_before = sorted(os.walk(settings.MEDIA_ROOT)) if os.path.exists(settings.MEDIA_ROOT) else []
    html = client.post(URL, {"qr_photo": png_of_qr("https://pay.example.gov.cn/donate/1")}).content.decode()
    assert "这是本局的官方捐赠渠道" in html
    html = client.post(URL, {"qr_photo": png_of_qr("https://fake-charity.example.com/pay")}).content.decode()
    assert "不是本局公布的捐赠渠道" in html and "fake-charity.example.com" in html
    assert get_image_model().objects.count() == images_before
    media_after = sorted(os.walk(settings.MEDIA_ROOT)) if os.path.exists(settings.MEDIA_ROOT) else []
    assert media_after == media_before


def test_a_photo_without_a_qr_code_gets_a_clear_message(client, channels):
    buffer = io.BytesIO()
    Image.new("RGB", (300, 300), (255, 255, 255)).save(buffer, format="PNG")
    response = client.post(URL, {"qr_photo": SimpleUploadedFile("blank.png", buffer.getvalue())})
    assert "没有识别到二维码" in response.content.decode()


def test_an_empty_check_asks_for_one_of_the_fields(client, channels):
    assert "请填写账号、支付链接，或上传二维码照片中的一项" in check(client).content.decode()


def test_checks_are_rate_limited_per_client_address(client, channels):
    statuses = [
        client.post(URL, {"account_number": "62220210 01042368117"}, REMOTE_ADDR="10.0.0.1").status_code
        for _ in range(11)
    ]
    assert statuses == [200] * 10 + [429]
    assert (
        "查询过于频繁" in client.post(URL, {"account_number": "1"}, REMOTE_ADDR="10.0.0.1").content.decode()
    )
    # Another address is not affected.
    assert (
        client.post(URL, {"account_number": "62220210 01042368117"}, REMOTE_ADDR="10.0.0.2").status_code
        == 200
    )


def test_an_oversized_photo_is_refused_before_it_is_decoded(client, channels, monkeypatch):
    monkeypatch.setattr(qr, "MAX_QR_PHOTO_PIXELS", 100 * 100)
    response = client.post(URL, {"qr_photo": png_of_qr("https://pay.example.gov.cn/donate/1")})
    assert "照片尺寸过大" in response.content.decode()
    assert "这是本局的官方捐赠渠道" not in response.content.decode()


def test_a_photo_of_an_uploaded_qr_image_is_recognised_too(client, channels):
    channel = factories.OnlineChannelFactory(
        name="微信收款码", payment_url="", qr_image=factories.qr_image("wxp://f2f0OfficialBureauCode")
    )
    assert channel.payment_url_key == "wxp://f2f0officialbureaucode"
    html = client.post(URL, {"qr_photo": png_of_qr("wxp://f2f0OfficialBureauCode")}).content.decode()
    assert "这是本局的官方捐赠渠道" in html and "微信收款码" in html


def test_an_uploaded_image_without_a_qr_code_is_refused_in_the_admin(channels):
    import wagtail_factories

    from django.core.exceptions import ValidationError

    channel = factories.OnlineChannelFactory.build(payment_url="", qr_image=wagtail_factories.ImageFactory())
    with pytest.raises(ValidationError) as excinfo:
        channel.full_clean()
    assert "无法从上传的图片中识别出二维码" in " ".join(excinfo.value.message_dict["qr_image"])
