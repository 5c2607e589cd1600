"""StreamField blocks of the appeal. No raw HTML block: editors get sanitised rich text only."""

from django.utils.translation import gettext_lazy as _

from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock

RICH_TEXT_FEATURES = ["h2", "h3", "bold", "italic", "ol", "ul", "link", "hr"]


class ImageWithCaptionBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("图片"))
    # Required: every image on the public site has a text alternative.
    alt_text = blocks.CharBlock(
        label=_("替代文字"), max_length=200, help_text=_("供读屏软件朗读的图片描述。")
    )
    caption = blocks.CharBlock(label=_("图注"), required=False, max_length=200)

    class Meta:
        icon = "image"
        label = _("图片")
        template = "home/blocks/image_with_caption.html"


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label=_("引文"))
    attribution = blocks.CharBlock(label=_("出处"), required=False, max_length=120)

    class Meta:
        icon = "openquote"
        label = _("引用")
        template = "home/blocks/quote.html"


class CallToActionBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("按钮文字"), max_length=60)
    page = blocks.PageChooserBlock(label=_("链接页面"), required=False)
    description = blocks.CharBlock(label=_("说明"), required=False, max_length=200)

    class Meta:
        icon = "pick"
        label = _("行动号召")
        template = "home/blocks/call_to_action.html"


class AppealStreamBlock(blocks.StreamBlock):
    paragraph = blocks.RichTextBlock(label=_("正文"), features=RICH_TEXT_FEATURES)
    image = ImageWithCaptionBlock()
    quote = QuoteBlock()
    call_to_action = CallToActionBlock()
