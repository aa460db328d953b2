#!/usr/bin/env python3
"""Writes a copy of an ELF shared library with one exported symbol gone, as an accidental
removal would leave it: the name is changed in the dynamic and static symbol tables'
string sections only (.dynstr, .strtab), so the library keeps its debug info and no
longer exports the function (tests/abi/abi_test.sh).

Usage: remove_symbol.py LIBRARY SYMBOL OUTPUT
"""
import struct
import sys


def sections(data):
    """(name, offset, size) of every section of a little-endian ELF64 file."""
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, "not ELF64 LSB"
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    headers = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
               for i in range(shnum)]
    names_at = headers[shstrndx][4]
    for name, _type, _flags, _addr, offset, size, *_ in headers:
        end = data.index(b"\0", names_at + name)
        yield data[names_at + name:end].decode(), offset, size


def main():
    library, symbol, output = sys.argv[1], sys.argv[2].encode(), sys.argv[3]
    data = bytearray(open(library, "rb").read())
    # The same length, so no offset moves; a name no header declares.
    renamed = symbol[:-1] + (b"_" if symbol[-1:] != b"_" else b"x")
    changed = 0
    for name, offset, size in list(sections(bytes(data))):
        if name not in (".dynstr", ".strtab"):
            continue
        table = data[offset:offset + size]
        # Whole names only: preceded by a NUL (or the table's start), followed by NUL or '@'.
        at = 0
        while (at := table.find(symbol, at)) >= 0:
            end = at + len(symbol)
            if (at == 0 or table[at - 1] == 0) and table[end:end + 1] in (b"\0", b"@"):
                data[offset + at:offset + end] = renamed
                changed += 1
            at = end
    if changed == 0:
        sys.exit(f"remove_symbol.py: {symbol.decode()} not found in {library}")
    open(output, "wb").write(data)
    print(f"remove_symbol.py: {symbol.decode()} renamed {changed} time(s)")


if __name__ == "__main__":
    main()
