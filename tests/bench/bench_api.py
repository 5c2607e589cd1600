"""Measurement 5: the public APIs' SQL queries do not grow with the result.

`/api/v2/pages/` lists few and many live pages (all of them, with `fields=*`, and the appeals typed,
whose bodies hold an image and a page link); `/api/disclosures/YYYY-MM-DD.json` serves a small and a
large published day. The query counts at the two sizes must be equal.
"""

import datetime as dt
import io

from tests.bench.core import count_queries, equal_to, info

SMALL_DAY = dt.date(2020, 2, 3)
LARGE_DAY = dt.date(2020, 2, 4)


def _import_day(day, rows, start):
    from home.ledger import services
    from tests.home import ledger_support as files

    data = files.big_cash_workbook(rows, start=start, day=day.isoformat())
    batch = services.import_ledger_file(io.BytesIO(data), f"{day}.xlsx", run_async=False)
    assert batch.status == "done", batch.message


def measure(ctx):
    from django.test import Client

    from home.ledger import services
    from tests.home import ledger_support as files
    from tests.home.factories import AppealPageFactory, publish, qr_image

    index = files.ledger_site()
    home = index.get_parent()
    small_pages, large_pages = 5, ctx.scaled(50, minimum=10)
    image = qr_image()
    body = [
        {"type": "image", "value": {"image": image.pk, "caption": "图"}},
        {"type": "call_to_action", "value": {"text": "查看公示", "page": index.pk}},
    ]
    for n in range(large_pages):
        publish(AppealPageFactory(parent=home, title=f"基准页面{n}", slug=f"bench-{n}", body=body))

    small_rows, large_rows = 20, ctx.scaled(2000, minimum=100)
    _import_day(SMALL_DAY, small_rows, 1)
    _import_day(LARGE_DAY, large_rows, 100_000)
    for day in (SMALL_DAY, LARGE_DAY):
        services.draft_disclosure(day, publish=True)

    client = Client()

    def get(url):
        def call():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response

        return call

    results = []
    for label, small_url, large_url, sizes in (
        (
            "5 /api/v2/pages/ queries",
            f"/api/v2/pages/?limit={small_pages}",
            f"/api/v2/pages/?limit={large_pages}",
            f"{small_pages} vs {large_pages} pages",
        ),
        (
            "5 /api/v2/pages/ (fields=*) queries",
            f"/api/v2/pages/?limit={small_pages}&fields=*",
            f"/api/v2/pages/?limit={large_pages}&fields=*",
            f"{small_pages} vs {large_pages} pages",
        ),
        (
            "5 /api/v2/pages/?type=home.AppealPage (fields=*) queries",
            f"/api/v2/pages/?type=home.AppealPage&limit={small_pages}&fields=*",
            f"/api/v2/pages/?type=home.AppealPage&limit={large_pages}&fields=*",
            f"{small_pages} vs {large_pages} appeals",
        ),
        (
            "5 /api/disclosures/<day>.json queries",
            f"/api/disclosures/{SMALL_DAY}.json",
            f"/api/disclosures/{LARGE_DAY}.json",
            f"{small_rows} vs {large_rows} records",
        ),
    ):
        get(small_url)()  # warm up
        _r, _t, small = count_queries(get(small_url))
        _r, large_seconds, large = count_queries(get(large_url))
        results.append(equal_to(label, large, small, note=f"{sizes} (value: large, baseline: small)"))
        if "disclosures" in label:
            seconds = ctx.median(get(large_url))
            results.append(info(f"5 /api/disclosures/<day>.json, {large_rows:,} records", seconds, "s"))
    return results
