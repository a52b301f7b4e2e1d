"""The coordinators' dashboard (协调看板): zone and region figures, the flows between Mianyang
and Beibei, charts, and each table as CSV or XLSX.

For coordinators and administrators only; everyone else signed in gets 403. The figures come
from geo.analysis (cached ten minutes per year); the charts are PNGs drawn on the server.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from geo.rules import may_see_dashboard
from portal import spreadsheets
from portal.accounts.models import Region
from portal.replicas import replica_reads
from sharing.bookings.selectors import external_order_totals, figure_definitions, monthly_usage
from sharing.bookings.vouchers.selectors import voucher_flows
from sharing.techmarket.selectors import contract_turnover_by_region


# geo.analysis (pandas, GeoPandas, matplotlib) is imported by the first dashboard request, not
# with the URLs: it was about half of what a web worker imported before answering its first
# request (even /healthz), for pages only coordinators open.
def _figures(year: int) -> dict:
    from geo.analysis.figures import dashboard_figures

    return dashboard_figures(year)


YEARS_SHOWN = 6  # this year and the five before
FIRST_YEAR = 2000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def coordinator_required(view):
    @login_required
    def wrapped(request, *args, **kwargs):
        refusal = may_see_dashboard(request.user)
        if refusal is not None:
            raise PermissionDenied(refusal.message)
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _year(request) -> int:
    this_year = timezone.localdate().year
    try:
        year = int(request.GET.get("year", this_year))
    except (TypeError, ValueError):
        return this_year
    return year if FIRST_YEAR <= year <= this_year + 1 else this_year


def _interval_hours(value) -> float:
    return round(value.total_seconds() / 3600, 2) if value else 0.0


def _pct(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


def _breakdown(counts: dict, labels: dict) -> list[tuple[str, int]]:
    return [(labels[k], n) for k, n in counts.items() if n]


def _view_row(row: dict) -> dict:
    from geo.analysis.tables import (
        kind_labels,
        level_labels,
        local_name,
        zone_kind_label,
        zone_label,
    )

    kinds, levels = kind_labels(), level_labels()
    return {
        **row,
        "label": zone_label(row, local=True),
        "kind_label": zone_kind_label(row.get("kind", "")),
        "by_kind": _breakdown(row["platforms_by_kind"], kinds),
        "by_level": _breakdown(row["platforms_by_level"], levels),
        "share_bookings": _pct(row["cross_region_share_bookings"]),
        "share_hours": _pct(row["cross_region_share_hours"]),
        "overlap_names": [local_name(other) for other in row.get("overlaps", [])],
    }


def _voucher_flows(year: int) -> list[dict]:
    """The year's voucher money by issuing region and the region it was spent in, with the
    regions themselves for their names."""
    regions = {r.code: r for r in Region.objects.all()}
    return [
        {
            **row,
            "issuing": regions.get(row["issuing_region"]),
            "spent": regions.get(row["spent_region"]),
        }
        for row in voucher_flows(year=year)
    ]


@replica_reads
@coordinator_required
def dashboard(request):
    year = _year(request)
    figures = _figures(year)
    this_year = timezone.localdate().year
    years = list(range(this_year, this_year - YEARS_SHOWN, -1))
    if year not in years:
        years = sorted({*years, year}, reverse=True)
    regions = [
        {
            **_view_row(row),
            "share_rate_pct": _pct(row["share_rate"]),
            "utilisation_pct": _pct(row["utilisation"]),
        }
        for row in figures["regions"]
    ]
    return render(
        request,
        "frontend/dashboard.html",
        {
            "year": year,
            "years": years,
            "figures": figures,
            "totals": figures["totals"],
            "totals_share": _pct(figures["totals"]["cross_region_share_bookings"]),
            "zones": [_view_row(row) for row in figures["zones"]],
            "regions": regions,
            "flows": figures["flows"],
            "tech_turnover": contract_turnover_by_region(year=year),
            "voucher_flows": _voucher_flows(year),
            "definitions": figure_definitions(),
            "external_orders": external_order_totals(year=year),
            "months": [
                {**m, "hours": _interval_hours(m["hours"])} for m in monthly_usage(year=year)
            ],
        },
    )


@replica_reads
@coordinator_required
def chart(request, name: str):
    from geo.analysis.charts import CHARTS

    if name not in CHARTS:
        raise Http404
    png = CHARTS[name](_figures(_year(request)))
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=600"
    return response


# --- Exports -------------------------------------------------------------------------------


def _csv_response(frame, filename: str) -> StreamingHttpResponse:
    from geo.analysis.tables import table_rows

    response = StreamingHttpResponse(
        spreadsheets.csv_stream(table_rows(frame)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _xlsx_response(frame, filename: str, sheet: str) -> FileResponse:
    from geo.analysis.tables import table_rows

    handle = spreadsheets.xlsx_file(table_rows(frame), sheet=sheet)
    return FileResponse(handle, as_attachment=True, filename=f"{filename}.xlsx", content_type=XLSX)


@coordinator_required
def export(request, table: str, fmt: str):
    from geo.analysis.tables import TABLES, dashboard_tables

    if table not in TABLES or fmt not in ("csv", "xlsx"):
        raise Http404
    year = _year(request)
    frame = dashboard_tables(_figures(year))[table]
    stamp = timezone.localdate().strftime("%Y%m%d")
    filename = f"dashboard-{table}-{year}-{stamp}"
    if fmt == "csv":
        return _csv_response(frame, filename)
    return _xlsx_response(frame, filename, sheet=table)
