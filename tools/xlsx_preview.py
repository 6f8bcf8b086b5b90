"""Render the first rows of each sheet of an XLSX file to a PNG, as a spreadsheet shows
them (frozen header, number formats applied): openpyxl reads the cells, an HTML grid is
drawn and headless Chromium takes the picture. For README screenshots on machines
without LibreOffice.

    "$VENV/bin/python" tools/xlsx_preview.py aging.xlsx docs/aging_xlsx.png --rows 25
"""

import argparse
import datetime
import html
import os
import subprocess
import tempfile

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter


def display(cell):
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        fmt = cell.number_format or ""
        if "0.00" in fmt:
            text = f"{abs(value):,.2f}"
            prefix = fmt.split("#")[0].strip('"') if fmt.startswith('"') else ""
            suffix = (
                fmt.split(";")[0].rsplit("0", 1)[-1].replace('"', "")
                if fmt.endswith('"') or '" ' in fmt
                else ""
            )
            return f"{'-' if value < 0 else ''}{prefix}{text}{suffix}"
        return str(value)
    return str(value)


def sheet_html(sheet, rows):
    widths = [
        (sheet.column_dimensions[get_column_letter(col)].width or 10) * 7
        for col in range(1, sheet.max_column + 1)
    ]
    out = [f"<h3>{html.escape(sheet.title)}</h3><table><tr><th class='corner'></th>"]
    out += [
        f"<th style='width:{w:.0f}px'>{get_column_letter(i + 1)}</th>"
        for i, w in enumerate(widths)
    ]
    out.append("</tr>")
    for index, row in enumerate(sheet.iter_rows(max_row=rows), start=1):
        out.append(f"<tr><th>{index}</th>")
        for cell in row:
            classes = []
            if cell.font and cell.font.b:
                classes.append("b")
            if (
                cell.fill
                and cell.fill.fgColor
                and cell.fill.fgColor.rgb not in (None, "00000000")
            ):
                classes.append("head")
            if isinstance(cell.value, (int, float)):
                classes.append("num")
            out.append(
                f"<td class='{' '.join(classes)}'>{html.escape(display(cell))}</td>"
            )
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("xlsx")
    parser.add_argument("png")
    parser.add_argument("--rows", type=int, default=25)
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1100)
    args = parser.parse_args()
    book = load_workbook(args.xlsx)
    style = """
        body { font-family: 'DejaVu Sans', sans-serif; font-size: 11px; margin: 8px; }
        table { border-collapse: collapse; table-layout: fixed; margin-bottom: 14px; }
        td, th { border: 1px solid #d0d0d0; padding: 2px 4px; white-space: nowrap;
                 overflow: hidden; }
        th { background: #f0f0f0; color: #555; font-weight: normal; }
        td.b { font-weight: bold; } td.head { background: #D9E1F2; } td.num { text-align: right; }
        h3 { margin: 6px 0; font-size: 12px; }
    """
    body = "".join(sheet_html(sheet, args.rows) for sheet in book.worksheets)
    with tempfile.TemporaryDirectory() as tmp:
        page = os.path.join(tmp, "sheet.html")
        with open(page, "w") as out:
            out.write(
                f"<html><head><meta charset='utf-8'><style>{style}</style></head>"
                f"<body>{body}</body></html>"
            )
        subprocess.run(
            [
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--user-data-dir={tmp}/profile",
                f"--window-size={args.width},{args.height}",
                f"--screenshot={os.path.abspath(args.png)}",
                f"file://{page}",
            ],
            check=True,
            capture_output=True,
        )


if __name__ == "__main__":
    main()
