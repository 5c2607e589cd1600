"""QR codes: generated on the server (qrcode + Pillow) and decoded from photos (zxing-cpp).

Pure functions on bytes and files; nothing here stores what it reads.
"""

import io

from django.utils.translation import gettext as _


class QRDecodeError(Exception):
    pass


# A 48-megapixel phone photo passes; a decompression bomb does not reach the decoder.
MAX_QR_PHOTO_PIXELS = 50_000_000


def decode_qr(fileobj):
    """Decode the first QR code in an uploaded photo. Reads it in memory; nothing is stored."""
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(fileobj) as image:
            if image.width * image.height > MAX_QR_PHOTO_PIXELS:
                raise QRDecodeError(_("照片尺寸过大，请缩小后再上传。"))
            # JPEG decodes straight to a reduced size: a phone photo need not be decoded in full.
            image.draft("RGB", (2000, 2000))
            image.load()
            image = image.convert("RGB")
            image.thumbnail((2000, 2000))
            results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    except (
        UnidentifiedImageError,
        OSError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise QRDecodeError(_("无法读取该图片，请上传 JPG 或 PNG 格式的照片。")) from exc
    for result in results:
        if result.text:
            return result.text.strip()
    raise QRDecodeError(_("照片中没有识别到二维码，请拍得更清楚些再试。"))


def qr_png(text, box_size=8, border=4):
    """PNG bytes of a QR code for `text`, and its width and height in pixels."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=border)
    code.add_data(text)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white").get_image()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue(), image.width, image.height


def qr_size(text, box_size=8, border=4):
    import qrcode

    code = qrcode.QRCode(box_size=box_size, border=border)
    code.add_data(text)
    code.make(fit=True)
    side = (code.modules_count + 2 * border) * box_size
    return side, side
