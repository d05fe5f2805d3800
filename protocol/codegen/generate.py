#!/usr/bin/env python3
"""Generates Brook's protocol message codecs from schema files in Kafka's JSON schema format.

Standard library only. Usage:
    generate.py --schemas protocol/schemas --out build/generated/protocol/messages

For every API (a <Name>Request.json + <Name>Response.json pair) it writes <api>.h and <api>.cc
(api = snake_case of Name, e.g. list_offsets) holding, in namespace protocol:
    struct <api>_request / <api>_response   fields, encode(writer&, version), decode(reader&, version)
    struct <api>_api                         key, name, min/max version, first_flexible, types
plus all.h (every API, and a tuple type listing them) and samples.h (protocol::samples::fill_sample,
which sets every field present at a version to a non-default value, for round-trip tests).

Schema features handled: validVersions, flexibleVersions (compact strings/bytes/arrays/records and
tagged-field sections), per-field versions, nullableVersions, taggedVersions + tag, default,
ignorable (a field absent at a version is simply not encoded), nested structs ([]Type with fields,
or Type with fields), commonStructs (a message-level list of named structs that several fields
reference by type name without repeating the fields; generated once, as a member type of the
message struct), arrays of primitives, types int8/int16/int32/int64/uint16/float64/bool/string/
bytes/records/uuid. Lines starting with // are comments (as in Kafka's files).
"""

import argparse
import json
import os
import re
import sys

PRIMITIVES = {
    "int8": "int8_t", "int16": "int16_t", "int32": "int32_t", "int64": "int64_t",
    "uint16": "uint16_t", "float64": "double", "bool": "bool", "string": "std::string",
    "bytes": "std::vector<uint8_t>", "records": "record_set", "uuid": "std::array<uint8_t, 16>",
}
FIXED_SIZE = {"int8": 1, "int16": 2, "int32": 4, "int64": 8, "uint16": 2, "float64": 8, "bool": 1,
              "uuid": 16}
INT_LIMITS = {"int8": (-2**7, 2**7 - 1), "int16": (-2**15, 2**15 - 1), "int32": (-2**31, 2**31 - 1),
              "int64": (-2**63, 2**63 - 1), "uint16": (0, 2**16 - 1)}
CPP_KEYWORDS = {"default", "int", "long", "short", "char", "class", "struct", "union", "namespace",
                "new", "delete", "private", "public", "protected", "template", "this", "switch",
                "case", "operator", "register", "signed", "unsigned", "volatile", "bool", "true",
                "false", "auto", "const", "do", "for", "if", "else", "while", "return", "static"}


class SchemaError(Exception):
    pass


def snake(name):
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.lower()


class Versions:
    """A closed version range; hi None = open ended; empty = never."""

    def __init__(self, text):
        text = (text or "none").strip()
        if text == "none":
            self.lo, self.hi, self.empty = 0, -1, True
        elif text.endswith("+"):
            self.lo, self.hi, self.empty = int(text[:-1]), None, False
        elif "-" in text:
            a, b = text.split("-")
            self.lo, self.hi, self.empty = int(a), int(b), False
        else:
            self.lo = self.hi = int(text)
            self.empty = False

    def contains(self, v):
        return not self.empty and v >= self.lo and (self.hi is None or v <= self.hi)

    def intersect(self, lo, hi):
        """Versions of [lo, hi] inside this range."""
        return [v for v in range(lo, hi + 1) if self.contains(v)]

    def cond(self, var, lo, hi):
        """C++ condition `var in self`, simplified knowing lo <= var <= hi."""
        if self.empty:
            return "false"
        parts = []
        if self.lo > lo:
            parts.append(f"{var} >= {self.lo}")
        if self.hi is not None and self.hi < hi:
            parts.append(f"{var} <= {self.hi}")
        if self.hi is not None and self.hi < lo or self.lo > hi:
            return "false"
        return " && ".join(parts) if parts else "true"


class Field:
    def __init__(self, spec, where, commons):
        self.name = spec["name"]
        self.cpp = snake(self.name)
        if self.cpp in CPP_KEYWORDS:
            self.cpp += "_"
        t = spec["type"]
        self.is_array = t.startswith("[]")
        self.elem = t[2:] if self.is_array else t
        self.versions = Versions(spec.get("versions"))
        if "versions" not in spec:
            raise SchemaError(f"{where}.{self.name}: missing versions")
        self.nullable = Versions(spec.get("nullableVersions"))
        self.tagged = Versions(spec.get("taggedVersions"))
        self.tag = spec.get("tag")
        if (self.tag is None) != self.tagged.empty:
            raise SchemaError(f"{where}.{self.name}: tag and taggedVersions go together")
        self.default = spec.get("default")
        self.ignorable = spec.get("ignorable") in (True, "true")
        self.about = spec.get("about", "")
        self.fields = None
        self.struct = None
        # True when self.struct is one of the message's commonStructs: declared and defined once at
        # message level, never as a member type of the struct holding this field.
        self.common = False
        if self.elem not in PRIMITIVES:
            if "fields" in spec:
                if self.elem in commons:
                    raise SchemaError(f"{where}.{self.name}: type {self.elem} is a common struct; "
                                      f"it cannot be redefined with fields")
                self.struct = Struct(self.elem, spec["fields"], f"{where}.{self.name}", commons)
            elif self.elem in commons:
                self.struct = commons[self.elem]
                self.common = True
            else:
                raise SchemaError(f"{where}.{self.name}: type {t} needs fields (or a commonStructs entry)")
        elif "fields" in spec:
            raise SchemaError(f"{where}.{self.name}: primitive type with fields")
        if self.elem == "records" and self.is_array:
            raise SchemaError(f"{where}.{self.name}: arrays of records are not supported")

    @property
    def has_nullable(self):
        return not self.nullable.empty and self.elem != "records"

    def cpp_type(self):
        if self.struct:
            base = self.struct.cpp
        else:
            base = PRIMITIVES[self.elem]
        if self.is_array:
            t = f"std::vector<{base}>"
        else:
            t = base
        if self.has_nullable:
            if not self.is_array and self.elem not in ("string", "bytes") and not self.struct:
                raise SchemaError(f"{self.name}: nullable {self.elem} is not a Kafka type")
            t = f"std::optional<{t}>"
        return t

    def default_init(self):
        d = self.default
        if self.is_array:
            if self.has_nullable and d == "null":
                return " = std::nullopt"
            return f" = {self.cpp_type_inner_vector()}{{}}" if self.has_nullable else ""
        if self.struct:
            if self.has_nullable:
                return " = std::nullopt" if d == "null" else f" = {self.struct.cpp}{{}}"
            return ""
        e = self.elem
        if e in INT_LIMITS:
            v = int(d, 0) if d not in (None, "") else 0
            lo, hi = INT_LIMITS[e]
            if not lo <= v <= hi:
                raise SchemaError(f"{self.name}: default {d} out of range for {e}")
            if v == 0:
                return " = 0"
            return f" = static_cast<{PRIMITIVES[e]}>({v}LL)" if v < 0 else f" = {v}"
        if e == "float64":
            return f" = {float(d) if d else 0.0!r}"
        if e == "bool":
            if d in (None, "", "false", False):
                return " = false"
            if d in ("true", True):
                return " = true"
            raise SchemaError(f"{self.name}: bad bool default {d}")
        if e == "string":
            if d == "null":
                if not self.has_nullable:
                    raise SchemaError(f"{self.name}: null default on a non-nullable string")
                return " = std::nullopt"
            if d in (None, ""):
                return " = std::string()" if self.has_nullable else ""
            return f" = std::string({json.dumps(d)})"
        if e == "bytes":
            if d == "null":
                return " = std::nullopt"
            return " = std::vector<uint8_t>()" if self.has_nullable else ""
        if e == "uuid":
            return " = {}"
        if e == "records":
            return ""
        raise SchemaError(f"{self.name}: cannot default {e}")

    def cpp_type_inner_vector(self):
        base = self.struct.cpp if self.struct else PRIMITIVES[self.elem]
        return f"std::vector<{base}>"

    def default_expr(self):
        """A C++ expression equal to the default value (used to skip default tagged fields)."""
        return f"decltype({self.cpp}){{}}" if self.default_init() == "" else \
            f"decltype({self.cpp})({self.default_init()[3:]})"


class Struct:
    def __init__(self, type_name, fields, where, commons, cpp=None):
        self.type_name = type_name
        self.cpp = cpp or snake(type_name)
        self.fields = [Field(f, where, commons) for f in fields]
        names = set()
        for f in self.fields:
            if f.cpp in names:
                raise SchemaError(f"{where}: duplicate field {f.cpp}")
            names.add(f.cpp)
        for f in self.fields:
            if f.struct and not f.common and f.struct.cpp in names:
                raise SchemaError(f"{where}: nested type {f.struct.cpp} clashes with a field name")
            tags = [g.tag for g in self.fields if g.tag is not None]
            if len(tags) != len(set(tags)):
                raise SchemaError(f"{where}: duplicate tags")


class Message:
    def __init__(self, spec, path):
        self.path = path
        self.api_key = spec["apiKey"]
        self.type = spec["type"]
        self.name = spec["name"]
        self.valid = Versions(spec["validVersions"])
        if self.valid.empty or self.valid.hi is None:
            raise SchemaError(f"{path}: validVersions must be a closed range")
        self.flexible = Versions(spec.get("flexibleVersions", "none"))
        if not self.flexible.empty and self.flexible.hi is not None:
            raise SchemaError(f"{path}: flexibleVersions must be open ended (N+) or none")
        # Common structs, in schema order (one may use an earlier one). Kept by type name.
        self.commons = {}
        for c in spec.get("commonStructs", []):
            cname = c.get("name")
            if not cname or "fields" not in c or "versions" not in c:
                raise SchemaError(f"{path}: a commonStructs entry needs name, versions and fields")
            if cname in self.commons or cname in PRIMITIVES:
                raise SchemaError(f"{path}: duplicate or reserved common struct name {cname}")
            self.commons[cname] = Struct(cname, c["fields"], f"{self.name}.{cname}", self.commons)
        self.struct = Struct(self.name, spec.get("fields", []), self.name, self.commons, cpp=snake(self.name))
        top_names = {f.cpp for f in self.struct.fields}
        for c in self.commons.values():
            if c.cpp in top_names:
                raise SchemaError(f"{path}: common struct {c.cpp} clashes with a field name")
        if any(f.cpp == "api_key" for f in self.struct.fields):
            raise SchemaError(f"{path}: a top-level field may not be called ApiKey (static member)")

    @property
    def first_flexible(self):
        return -1 if self.flexible.empty else self.flexible.lo


def load(path):
    with open(path, encoding="utf-8") as f:
        text = "\n".join(l for l in f.read().splitlines() if not l.lstrip().startswith("//"))
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise SchemaError(f"{path}: {e}")


class Emitter:
    def __init__(self):
        self.lines = []
        self.ind = 0

    def __call__(self, line=""):
        self.lines.append(("    " * self.ind + line) if line else "")

    def block(self, opener):
        self(opener)
        self.ind += 1
        return self

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.ind -= 1
        self("}")

    def text(self):
        return "\n".join(self.lines) + "\n"


class Gen:
    """Emits one message's struct declarations and codec functions."""

    def __init__(self, msg):
        self.msg = msg
        self.lo, self.hi = msg.valid.lo, msg.valid.hi
        self.tmp = 0

    def fresh(self, base):
        self.tmp += 1
        return f"{base}{self.tmp}"

    def flex_cond(self):
        return self.msg.flexible.cond("version", self.lo, self.hi)

    # ---- declarations
    def common_structs(self, s):
        """The message's common structs when s is the message struct (they live in its scope)."""
        return list(self.msg.commons.values()) if s is self.msg.struct else []

    def declare(self, e, s, qual):
        e(f"struct {s.cpp} {{")
        e.ind += 1
        for c in self.common_structs(s):
            self.declare(e, c, f"{qual}::{c.cpp}")
            e()
        for f in s.fields:
            if f.struct and not f.common:
                self.declare(e, f.struct, f"{qual}::{f.struct.cpp}")
                e()
        for f in s.fields:
            e(f"/// {f.about} (versions {self.vtext(f.versions)}"
              f"{', nullable ' + self.vtext(f.nullable) if not f.nullable.empty else ''}"
              f"{', tag ' + str(f.tag) + ' in ' + self.vtext(f.tagged) if f.tag is not None else ''})")
            e(f"{f.cpp_type()} {f.cpp}{f.default_init()};")
        e("/// Tagged fields this version did not know, kept for a byte-exact round trip.")
        e("tagged_fields unknown_tags;")
        e()
        if s is self.msg.struct:
            e(f"static constexpr int16_t api_key = {self.msg.api_key};")
        e("void encode(wire::writer& w, int16_t version) const;")
        e("/// Throws wire::decode_error on malformed input" +
          (" or a version outside validVersions." if s is self.msg.struct else "."))
        e("void decode(wire::reader& r, int16_t version);")
        e(f"bool operator==(const {s.cpp}&) const = default;")
        e.ind -= 1
        e("};")

    @staticmethod
    def vtext(v):
        if v.empty:
            return "none"
        if v.hi is None:
            return f"{v.lo}+"
        return f"{v.lo}" if v.lo == v.hi else f"{v.lo}-{v.hi}"

    # ---- encode
    def encode_value(self, e, f, expr, nullable_cond, elem=False):
        """Statements writing `expr` (of field f's type, or its element type if elem)."""
        t = f.elem
        if f.is_array and not elem:
            if f.has_nullable:
                with e.block(f"if (!{expr}) {{"):
                    e("w.write_array_count(flex, -1);")
                with e.block("else {"):
                    self.encode_array_body(e, f, f"(*{expr})")
                return
            self.encode_array_body(e, f, expr)
            return
        if f.struct:
            if f.has_nullable and not elem:
                # Nullable struct: int8 -1 (null) or 1, then the struct; without the marker (and
                # null written as a default struct) in versions where it is not nullable.
                with e.block(f"if ({nullable_cond}) {{"):
                    e(f"w.write_int8({expr} ? 1 : -1);")
                with e.block(f"if ({expr}) {{"):
                    e(f"{expr}->encode(w, version);")
                with e.block(f"else if (!({nullable_cond})) {{"):
                    e(f"decltype({expr})::value_type().encode(w, version);")
                return
            e(f"{expr}.encode(w, version);")
            return
        simple = {"int8": "write_int8", "int16": "write_int16", "int32": "write_int32",
                  "int64": "write_int64", "uint16": "write_uint16", "float64": "write_float64",
                  "bool": "write_bool", "uuid": "write_uuid"}
        if t in simple:
            e(f"w.{simple[t]}({expr});")
        elif t == "records":
            e(f"w.write_records({expr}, flex);")
        elif t in ("string", "bytes"):
            nullable_type = f.has_nullable and not elem
            if nullable_type:
                empty = "std::string_view()" if t == "string" else "std::span<const uint8_t>()"
                plain = f"({expr} ? {self.view(t, '*' + expr)} : {empty})"
                e(f"if ({nullable_cond}) {{")
                e(f"    if (flex) w.write_compact_nullable_{t}({expr}); "
                  f"else w.write_nullable_{t}({expr});")
                e("} else {")
                e(f"    if (flex) w.write_compact_{t}({plain}); else w.write_{t}({plain});")
                e("}")
            else:
                e(f"if (flex) w.write_compact_{t}({expr}); else w.write_{t}({expr});")
        else:
            raise SchemaError(f"cannot encode {t}")

    @staticmethod
    def view(t, expr):
        return f"std::string_view({expr})" if t == "string" else f"std::span<const uint8_t>({expr})"

    def encode_array_body(self, e, f, expr):
        e(f"w.write_array_count(flex, static_cast<int32_t>({expr}.size()));")
        el = self.fresh("e")
        with e.block(f"for (const auto& {el} : {expr}) {{"):
            self.encode_value(e, f, el, "false", elem=True)

    def encode_struct(self, e, s, qual):
        for c in self.common_structs(s):
            self.encode_struct(e, c, f"{qual}::{c.cpp}")
        for f in s.fields:
            if f.struct and not f.common:
                self.encode_struct(e, f.struct, f"{qual}::{f.struct.cpp}")
        with e.block(f"void {qual}::encode(wire::writer& w, int16_t version) const {{"):
            e(f"const bool flex = {self.flex_cond()};")
            e("(void)flex;")
            e("(void)version;")
            for f in s.fields:
                present = f.versions.cond("version", self.lo, self.hi)
                if present == "false":
                    continue
                tagged = f.tagged.cond("version", self.lo, self.hi)
                cond = present if tagged == "false" else f"({present}) && !({tagged})"
                with e.block("{" if cond == "true" else f"if ({cond}) {{"):
                    self.encode_value(e, f, f.cpp, f.nullable.cond("version", self.lo, self.hi))
            tagged_fields = [f for f in s.fields if f.tag is not None]
            with e.block("if (flex) {"):
                if not tagged_fields:
                    e("wire::write_unknown_tags(w, unknown_tags);")
                else:
                    e("tagged_fields tags = unknown_tags;")
                    for f in sorted(tagged_fields, key=lambda f: f.tag):
                        tcond = f.tagged.cond("version", self.lo, self.hi)
                        pcond = f.versions.cond("version", self.lo, self.hi)
                        with e.block(f"if (({tcond}) && ({pcond}) && !({f.cpp} == {f.default_expr()})) {{"):
                            e("wire::writer tw;")
                            # encode_value writes to `w`; shadow it with the tag's own writer.
                            with e.block("{"):
                                e("wire::writer& w = tw;")
                                self.encode_value(e, f, f.cpp, f.nullable.cond("version", self.lo, self.hi))
                            e(f"tags[{f.tag}] = tw.to_bytes();")
                    e("wire::write_unknown_tags(w, tags);")
        e()

    # ---- decode
    def decode_value(self, e, f, target, nullable_cond, elem=False):
        t = f.elem
        if f.is_array and not elem:
            n = self.fresh("n")
            min_size = FIXED_SIZE.get(t, 1) if not f.struct else 1
            e(f"const int32_t {n} = r.read_array_count(flex, {min_size});")
            with e.block(f"if ({n} < 0) {{"):
                if f.has_nullable:
                    e(f"if (!({nullable_cond})) throw wire::decode_error(\"null array {f.name}\");")
                    e(f"{target} = std::nullopt;")
                else:
                    e(f"throw wire::decode_error(\"null array {f.name}\");")
            with e.block("else {"):
                vec = self.fresh("v")
                if f.has_nullable:
                    e(f"auto& {vec} = {target}.emplace();")
                else:
                    e(f"auto& {vec} = {target};")
                e(f"{vec}.clear();")
                e(f"{vec}.resize(static_cast<size_t>({n}));")
                el = self.fresh("e")
                with e.block(f"for (auto& {el} : {vec}) {{"):
                    self.decode_value(e, f, el, "false", elem=True)
            return
        if f.struct:
            if f.has_nullable and not elem:
                with e.block(f"if (({nullable_cond}) && r.read_int8() < 0) {{"):
                    e(f"{target} = std::nullopt;")
                with e.block("else {"):
                    e(f"{target}.emplace().decode(r, version);")
                return
            e(f"{target}.decode(r, version);")
            return
        simple = {"int8": "read_int8", "int16": "read_int16", "int32": "read_int32",
                  "int64": "read_int64", "uint16": "read_uint16", "float64": "read_float64",
                  "bool": "read_bool", "uuid": "read_uuid"}
        if t in simple:
            e(f"{target} = r.{simple[t]}();")
        elif t == "records":
            e(f"{target} = r.read_records(flex);")
        elif t in ("string", "bytes"):
            if f.has_nullable and not elem:
                e(f"if ({nullable_cond}) {{")
                e(f"    {target} = flex ? r.read_compact_nullable_{t}() : r.read_nullable_{t}();")
                e("} else {")
                e(f"    {target} = flex ? r.read_compact_{t}() : r.read_{t}();")
                e("}")
            else:
                e(f"{target} = flex ? r.read_compact_{t}() : r.read_{t}();")
        else:
            raise SchemaError(f"cannot decode {t}")

    def decode_struct(self, e, s, qual):
        for c in self.common_structs(s):
            self.decode_struct(e, c, f"{qual}::{c.cpp}")
        for f in s.fields:
            if f.struct and not f.common:
                self.decode_struct(e, f.struct, f"{qual}::{f.struct.cpp}")
        with e.block(f"void {qual}::decode(wire::reader& r, int16_t version) {{"):
            if s is self.msg.struct:
                with e.block(f"if (version < {self.lo} || version > {self.hi}) {{"):
                    e(f"throw wire::decode_error(\"{self.msg.name}: unsupported version \" + "
                      f"std::to_string(version));")
            e(f"const bool flex = {self.flex_cond()};")
            e("(void)flex;")
            e("(void)version;")
            for f in s.fields:
                present = f.versions.cond("version", self.lo, self.hi)
                if present == "false":
                    continue
                tagged = f.tagged.cond("version", self.lo, self.hi)
                cond = present if tagged == "false" else f"({present}) && !({tagged})"
                with e.block("{" if cond == "true" else f"if ({cond}) {{"):
                    self.decode_value(e, f, f.cpp, f.nullable.cond("version", self.lo, self.hi))
            tagged_fields = [f for f in s.fields if f.tag is not None]
            with e.block("if (flex) {"):
                e("unknown_tags.clear();")
                e("const uint32_t count = r.read_uvarint();")
                e("if (count > r.remaining()) throw wire::decode_error(\"tagged field count too large\");")
                e("int64_t last_tag = -1;")
                with e.block("for (uint32_t i = 0; i < count; ++i) {"):
                    e("const uint32_t tag = r.read_uvarint();")
                    e("if (static_cast<int64_t>(tag) <= last_tag) "
                      "throw wire::decode_error(\"tagged fields out of order\");")
                    e("last_tag = tag;")
                    e("const auto raw = r.read_raw(r.read_uvarint());")
                    for f in tagged_fields:
                        tcond = f.tagged.cond("version", self.lo, self.hi)
                        pcond = f.versions.cond("version", self.lo, self.hi)
                        with e.block(f"if (tag == {f.tag} && ({tcond}) && ({pcond})) {{"):
                            e("wire::reader sub(raw, r.owner());")
                            # decode_value reads from `r`; shadow it with the sub-reader.
                            with e.block("{"):
                                e("wire::reader& r = sub;")
                                self.decode_value(e, f, f.cpp, f.nullable.cond("version", self.lo, self.hi))
                            e(f"if (sub.remaining() != 0) throw wire::decode_error(\"trailing bytes in tagged field {f.name}\");")
                            e("continue;")
                    e("unknown_tags[tag] = std::vector<uint8_t>(raw.begin(), raw.end());")
        e()

    # ---- samples (tests)
    def sample_value(self, e, f, target, depth, idx, elem=False):
        t = f.elem
        if f.is_array and not elem:
            vec = self.fresh("v")
            if f.has_nullable:
                e(f"auto& {vec} = {target}.emplace();")
            else:
                e(f"auto& {vec} = {target};")
            e(f"{vec}.resize(2);")
            el = self.fresh("e")
            k = self.fresh("k")
            e(f"int {k} = 0;")
            with e.block(f"for (auto& {el} : {vec}) {{"):
                self.sample_value(e, f, el, depth, f"{idx} + {k}", elem=True)
                e(f"++{k};")
            return
        if f.struct:
            if f.has_nullable and not elem:
                e(f"fill_sample({target}.emplace(), version, seed + {idx});")
            else:
                e(f"fill_sample({target}, version, seed + {idx});")
            return
        if t in INT_LIMITS:
            lo, hi = INT_LIMITS[t]
            d = int(f.default, 0) if f.default not in (None, "") and not elem else 0
            base = 1 if d != 1 else 2
            e(f"{target} = static_cast<{PRIMITIVES[t]}>({base} + (seed + {idx}) % 100);")
            if d != 0:
                e(f"if ({target} == static_cast<{PRIMITIVES[t]}>({d}LL)) {target} += 1;")
        elif t == "float64":
            e(f"{target} = 0.5 + (seed + {idx});")
        elif t == "bool":
            dflt = f.default in ("true", True) and not elem
            e(f"{target} = {'false' if dflt else 'true'};")
        elif t == "string":
            e(f"{target} = \"{f.cpp}-\" + std::to_string(seed + {idx});")
        elif t == "bytes":
            e(f"{target} = std::vector<uint8_t>{{1, 2, static_cast<uint8_t>(seed + {idx})}};")
        elif t == "uuid":
            e(f"for (size_t b = 0; b < 16; ++b) {target}[b] = static_cast<uint8_t>(b + 1 + seed);")
        elif t == "records":
            e(f"{target} = record_set::owned(std::vector<uint8_t>(17, static_cast<uint8_t>(seed + {idx})));")
        else:
            raise SchemaError(f"cannot sample {t}")

    def sample_struct(self, e, s, qual):
        for c in self.common_structs(s):
            self.sample_struct(e, c, f"{qual}::{c.cpp}")
        for f in s.fields:
            if f.struct and not f.common:
                self.sample_struct(e, f.struct, f"{qual}::{f.struct.cpp}")
        with e.block(f"inline void fill_sample({qual}& m, int16_t version, int seed) {{"):
            e("(void)m;  // a struct without fields (e.g. ListGroupsRequest v0-2)")
            e("(void)version;")
            e("(void)seed;")
            for i, f in enumerate(s.fields):
                present = f.versions.cond("version", self.lo, self.hi)
                if present == "false":
                    continue
                with e.block(f"if ({present}) {{"):
                    self.sample_value(e, f, f"m.{f.cpp}", 0, str(i + 1))
        e()


def api_snake(request_name):
    return snake(request_name[: -len("Request")])


def generate(schemas_dir, out_dir, namespace="protocol", include_prefix="protocol/messages"):
    msgs = {}
    for fn in sorted(os.listdir(schemas_dir)):
        if not fn.endswith(".json"):
            continue
        m = Message(load(os.path.join(schemas_dir, fn)), fn)
        if not m.name.endswith(m.type.capitalize()):
            raise SchemaError(f"{fn}: name {m.name} must end in {m.type.capitalize()}")
        msgs[m.name] = m
    apis = []
    for name, req in sorted(msgs.items()):
        if req.type != "request":
            continue
        base = name[: -len("Request")]
        resp = msgs.get(base + "Response")
        if resp is None:
            raise SchemaError(f"{name} has no {base}Response")
        if resp.api_key != req.api_key:
            raise SchemaError(f"{base}: request and response api keys differ")
        if (req.valid.lo, req.valid.hi) != (resp.valid.lo, resp.valid.hi):
            raise SchemaError(f"{base}: request and response validVersions differ")
        if req.first_flexible != resp.first_flexible:
            raise SchemaError(f"{base}: request and response flexibleVersions differ")
        apis.append((base, snake(base), req, resp))
    for name, m in msgs.items():
        if m.type == "response" and name[: -len("Response")] + "Request" not in msgs:
            raise SchemaError(f"{name} has no request")

    os.makedirs(out_dir, exist_ok=True)
    outputs = {}
    for base, api, req, resp in apis:
        h = Emitter()
        h("// Generated by protocol/codegen/generate.py from protocol/schemas; do not edit.")
        h("#pragma once")
        h()
        for inc in ("array", "cstdint", "optional", "span", "string", "string_view", "vector"):
            h(f"#include <{inc}>")
        h()
        h('#include "protocol/record_set.h"')
        h('#include "protocol/tagged_fields.h"')
        h('#include "protocol/wire/reader.h"')
        h('#include "protocol/wire/writer.h"')
        h()
        h(f"namespace {namespace} {{")
        h()
        for m in (req, resp):
            h(f"/// {m.name} (api key {m.api_key}), versions {m.valid.lo}-{m.valid.hi}, first flexible "
              f"{m.first_flexible}. A plain value type; encode/decode are pure functions of it.")
            Gen(m).declare(h, m.struct, m.struct.cpp)
            h()
        h(f"struct {api}_api {{")
        h(f"    static constexpr int16_t key = {req.api_key};")
        h(f"    static constexpr std::string_view name = \"{base}\";")
        h(f"    static constexpr int16_t min_version = {req.valid.lo};")
        h(f"    static constexpr int16_t max_version = {req.valid.hi};")
        h(f"    /// First flexible version (compact encodings, tagged fields); -1 = none.")
        h(f"    static constexpr int16_t first_flexible = {req.first_flexible};")
        h(f"    using request = {req.struct.cpp};")
        h(f"    using response = {resp.struct.cpp};")
        h("};")
        h()
        h(f"}}  // namespace {namespace}")
        outputs[f"{api}.h"] = h.text()

        c = Emitter()
        c("// Generated by protocol/codegen/generate.py from protocol/schemas; do not edit.")
        c(f'#include "{include_prefix}/{api}.h"')
        c()
        c(f"namespace {namespace} {{")
        c()
        for m in (req, resp):
            g = Gen(m)
            g.encode_struct(c, m.struct, m.struct.cpp)
            g.decode_struct(c, m.struct, m.struct.cpp)
        c(f"}}  // namespace {namespace}")
        outputs[f"{api}.cc"] = c.text()

    a = Emitter()
    a("// Generated by protocol/codegen/generate.py from protocol/schemas; do not edit.")
    a("#pragma once")
    a()
    a("#include <tuple>")
    a()
    for _, api, _, _ in apis:
        a(f'#include "{include_prefix}/{api}.h"')
    a()
    a(f"namespace {namespace} {{")
    a("/// Every generated API descriptor, for compile-time iteration (registry checks, tests).")
    a("using all_apis = std::tuple<" + ", ".join(f"{api}_api" for _, api, _, _ in apis) + ">;")
    a(f"}}  // namespace {namespace}")
    outputs["all.h"] = a.text()

    s = Emitter()
    s("// Generated by protocol/codegen/generate.py from protocol/schemas; do not edit.")
    s("// Test helpers: fill_sample(message, version, seed) sets every field present at `version`")
    s("// to a value different from its default (arrays get two elements).")
    s("#pragma once")
    s()
    s("#include <string>")
    s()
    s(f'#include "{include_prefix}/all.h"')
    s()
    s(f"namespace {namespace}::samples {{")
    s()
    # Declarations first: nested structs may be filled before their definition appears.
    decls = []

    def collect(st, qual):
        for f in st.fields:
            if f.struct and not f.common:
                collect(f.struct, f"{qual}::{f.struct.cpp}")
        decls.append(qual)

    for _, api, req, resp in apis:
        for m in (req, resp):
            for c in m.commons.values():
                collect(c, f"{m.struct.cpp}::{c.cpp}")
            collect(m.struct, m.struct.cpp)
    for q in decls:
        s(f"inline void fill_sample({q}& m, int16_t version, int seed);")
    s()
    for _, api, req, resp in apis:
        for m in (req, resp):
            Gen(m).sample_struct(s, m.struct, m.struct.cpp)
    s(f"}}  // namespace {namespace}::samples")
    outputs["samples.h"] = s.text()

    for fn, text in outputs.items():
        path = os.path.join(out_dir, fn)
        old = None
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                old = f.read()
        if old != text:  # keep timestamps when nothing changed: no needless rebuilds
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--schemas", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--namespace", default="protocol",
                   help="C++ namespace of the generated code (inside or equal to protocol)")
    p.add_argument("--include-prefix", default="protocol/messages",
                   help="how generated files include each other")
    args = p.parse_args()
    try:
        generate(args.schemas, args.out, args.namespace, args.include_prefix)
    except (SchemaError, KeyError, ValueError) as e:
        print(f"generate.py: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
