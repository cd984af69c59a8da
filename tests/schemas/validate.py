"""Validate a file against a schema shipped beside this script (see README.md here).

    validate.py sarif FILE   FILE is JSON, checked against sarif-schema-2.1.0.json with the
                             jsonschema validator of the draft the schema names in `$schema`
                             (draft-04 for the OASIS errata 01 schema), with its `uri`,
                             `uri-reference` and `date-time` formats checked too.
    validate.py junit FILE   FILE is XML, checked against junit-10.xsd with lxml.

Exit status 0 when FILE is valid; 1 with every error on standard output when it is not;
2 for usage errors or a missing file (one that is not JSON or XML at all is invalid: 1).
"""

import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent


def sarif(path):
    import jsonschema

    schema = json.loads((HERE / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    try:
        doc = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    except ValueError as e:
        return [f"not JSON: {e}"]
    # jsonschema checks `uri` and `date-time` with rfc3986-validator and rfc3339-validator
    # when they are installed, and checks nothing otherwise: insist on them. It has no
    # `uri-reference` for draft-04, the format of every artifact location: add it.
    from rfc3986_validator import validate_rfc3986
    import rfc3339_validator  # noqa: F401

    checker = cls.FORMAT_CHECKER
    for needed in ("uri", "date-time"):
        if needed not in checker.checkers:
            sys.exit(f"jsonschema does not check the `{needed}` format here: a package is missing")
    checker.checks("uri-reference")(lambda s: not isinstance(s, str) or bool(validate_rfc3986(s, rule="URI_reference")))
    validator = cls(schema, format_checker=checker)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    return [f"{cls.__name__}: /{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]


def junit(path):
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(str(HERE / "junit-10.xsd")))
    try:
        doc = etree.parse(str(path))
    except etree.XMLSyntaxError as e:
        return [f"not well-formed XML: {e}"]
    if schema.validate(doc):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def main(argv):
    checks = {"sarif": sarif, "junit": junit}
    if len(argv) != 3 or argv[1] not in checks:
        print(__doc__, file=sys.stderr)
        return 2
    if not pathlib.Path(argv[2]).is_file():
        print(f"{argv[2]}: no such file", file=sys.stderr)
        return 2
    errors = checks[argv[1]](argv[2])
    for e in errors:
        print(e)
    if errors:
        print(f"{argv[2]}: {len(errors)} schema error(s)")
        return 1
    print(f"{argv[2]}: valid")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
