"""hangdump show: one stored capture, every thread and frame."""
from __future__ import annotations

import click

from forensics.cli.common import benign_option, benign_rules, open_store, source_root_option, source_roots, store_option


@click.command("show")
@click.argument("capture_id")
@click.option("--json", "as_json", is_flag=True, help="Print the capture document.")
@benign_option
@source_root_option
@store_option
def command(capture_id, as_json, benign, source_root, store_dir):
    """Show the capture CAPTURE_ID (a unique prefix or suffix of the id is enough)."""
    from forensics.summary import render_full
    from forensics.termsafe import json_text

    rules = benign_rules(benign, store_dir)
    roots = source_roots(source_root, store_dir)
    capture = open_store(store_dir).get(capture_id)
    click.echo(json_text(capture.to_json(indent=2)) if as_json else render_full(capture, rules, roots), nl=bool(as_json))
