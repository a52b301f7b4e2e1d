"""Hostile files, made at test time from the real sample feed: nothing large is committed.

Each maker returns bytes (or writes a path) for one way a feed file goes wrong in the wild or
on purpose: broken CSV, wrong encodings, zip bombs, formula payloads, hidden characters.
"""

import csv
import io
import struct
import zlib
from pathlib import Path

from tests.catalogue.feeds import sample_rows

GIB = 1024**3


def csv_bytes(header, rows, *, encoding="utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def sample_csv(*, encoding="utf-8", rows: int | None = None) -> bytes:
    header, data = sample_rows()
    return csv_bytes(header, data[:rows], encoding=encoding)


def with_cell(column: str, value: str, *, row: int = 0) -> tuple[list[str], list[list[str]]]:
    """The sample feed with one cell replaced (row 0 is spreadsheet row 2)."""
    header, data = sample_rows()
    data[row][header.index(column)] = value
    return header, data


def unbalanced_quote() -> bytes:
    # A quote opened in row 3 and never closed: without strict parsing the rest of the file
    # would become one cell and rows 4 onwards would silently disappear.
    text = sample_csv().decode()
    lines = text.splitlines(keepends=True)
    lines[2] = lines[2].replace(",", ',"', 1)
    return "".join(lines).encode()


def quote_then_text() -> bytes:
    text = sample_csv().decode()
    lines = text.splitlines(keepends=True)
    lines[3] = '"SWU"X' + lines[3][lines[3].index(",") :]
    return "".join(lines).encode()


def nul_bytes() -> bytes:
    return sample_csv().replace("透射电子显微镜".encode(), "透射\x00电子显微镜".encode())


def nul_bytes_deep() -> bytes:
    # Past the 64 KB the encoding is sniffed from: found by the full read, not the sniff.
    header, data = sample_rows()
    filler = [[*row[:0], f"PAD-{i}", *row[1:]] for i in range(400) for row in data[:1]]
    body = csv_bytes(header, [*filler, *data])
    assert len(body) > 70_000
    return body.replace("透射电子显微镜".encode(), "透射\x00电子显微镜".encode())


def ragged_rows() -> bytes:
    header, data = sample_rows()
    data[1] = data[1][:5]  # row 3: cut short
    data[2] = [*data[2], "多出来的", "两格"]  # row 4: too long
    return csv_bytes(header, data)


def no_header() -> bytes:
    _header, data = sample_rows()
    return csv_bytes(data[0], data[1:])


def only_bom() -> bytes:
    return b"\xef\xbb\xbf"


def binary_garbage() -> bytes:
    # Deterministic noise (an LCG), the way a renamed .exe or image looks to the reader.
    state, out = 12345, bytearray()
    for _ in range(4096):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        out.append(state >> 16 & 0xFF)
    return bytes(out)


def big5() -> bytes:
    # Traditional-script data under English headers: Big5 bytes are also valid GB18030 bytes,
    # so without a check they would be stored as mojibake.
    names = [
        "場發射掃描電子顯微鏡",
        "透射電子顯微鏡",
        "液相色譜質譜聯用儀",
        "電感耦合等離子體質譜儀",
    ]
    rows = [[f"TW-{i}", names[i % 4], "010102", "國立臺灣大學"] for i in range(12)]
    return csv_bytes(
        ["internal_code", "name", "classification_code", "organisation"], rows, encoding="big5"
    )


def utf16_without_bom() -> bytes:
    return sample_csv().decode().encode("utf-16-le")


def utf16_with_bom() -> bytes:
    return sample_csv().decode().encode("utf-16")


def latin1() -> bytes:
    english = ["internal_code", "name", "english_name", "classification_code", "organisation"]
    rows = [
        [
            f"L-{i}",
            "Gerätebau Müller Rasterelektronenmikroskop",
            "Größe",
            "010102",
            "Société Jülich",
        ]
        for i in range(20)
    ]
    return csv_bytes(english, rows, encoding="latin-1")


def latin1_once() -> bytes:
    # One accented name in an otherwise ASCII file: two bytes decide the encoding.
    header = ["internal_code", "name", "classification_code", "organisation"]
    rows = [[f"L-{i}", "SEM", "010102", "ETH"] for i in range(5)] + [
        ["L-9", "SEM Müller", "010102", "ETH"]
    ]
    return csv_bytes(header, rows, encoding="latin-1")


def huge_cell(size: int = 1024 * 1024) -> bytes:
    header, data = with_cell("仪器名称", "显" * size)
    return csv_bytes(header, data)


def not_a_zip() -> bytes:
    return sample_csv()


_WORKBOOK_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
        '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
        '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.worksheet+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.'
        'org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" '
        'r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}


def _deflated(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def zip_bomb(path: Path, *, expands_to: int = GIB) -> Path:
    """A well-formed .xlsx whose sheet XML inflates to ``expands_to`` bytes of whitespace from
    about a thousandth of that on disk. The deflate stream is built block by block (after a
    full flush every identical block compresses to the same bytes), so making the bomb costs
    one CRC pass instead of compressing a gigabyte."""
    head = (
        b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns='
        b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    )
    tail = b"</sheetData></worksheet>"
    block = b" " * (1 << 20)
    count = max(-(-(expands_to - len(head) - len(tail)) // len(block)), 1)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeated = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    last = compressor.compress(tail) + compressor.flush()
    crc = zlib.crc32(head)
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)

    entries = [
        (name, zlib.crc32(text.encode()), len(text.encode()), [_deflated(text.encode())])
        for name, text in _WORKBOOK_PARTS.items()
    ]
    sheet_size = len(head) + count * len(block) + len(tail)
    entries.append(
        ("xl/worksheets/sheet1.xml", crc, sheet_size, [first, *([repeated] * count), last])
    )
    central = []
    with open(path, "wb") as out:
        for name, crc, size, chunks in entries:
            encoded = name.encode()
            compressed = sum(len(chunk) for chunk in chunks)
            offset = out.tell()
            out.write(
                struct.pack(
                    "<IHHHHHIIIHH",
                    0x04034B50,
                    20,
                    0,
                    8,
                    0,
                    0x21,
                    crc,
                    compressed,
                    size,
                    len(encoded),
                    0,
                )
                + encoded
            )
            for chunk in chunks:
                out.write(chunk)
            central.append(
                struct.pack(
                    "<IHHHHHHIIIHHHHHII",
                    0x02014B50,
                    20,
                    20,
                    0,
                    8,
                    0,
                    0x21,
                    crc,
                    compressed,
                    size,
                    len(encoded),
                    0,
                    0,
                    0,
                    0,
                    0,
                    offset,
                )
                + encoded
            )
        start = out.tell()
        for record in central:
            out.write(record)
        out.write(
            struct.pack(
                "<IHHHHIIH",
                0x06054B50,
                0,
                0,
                len(central),
                len(central),
                out.tell() - start,
                start,
                0,
            )
        )
    return path
