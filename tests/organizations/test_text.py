"""Values from identity providers inside our own sentences cannot reorder them."""

from organizations.text import isolated

FSI, PDI, RLO = "\u2068", "\u2069", "\u202e"


def test_a_plain_value_is_left_as_it_is():
    assert isolated("ada.lovelace@acme.test") == "ada.lovelace@acme.test"
    assert isolated("Zoë Ñúñez-Łukasz") == "Zoë Ñúñez-Łukasz"


def test_an_override_is_kept_inside_the_value():
    assert isolated(f"mallory{RLO}moc.evil") == f"{FSI}mallory{RLO}moc.evil{PDI}"


def test_right_to_left_names_are_isolated_too():
    # Hebrew and Arabic letters reorder neutral text next to them ("… שלום, linked to …").
    assert isolated("שלום") == f"{FSI}שלום{PDI}"
    assert isolated("مرحبا") == f"{FSI}مرحبا{PDI}"


def test_a_stray_isolate_mark_in_the_value_cannot_close_the_isolate_early():
    assert isolated(f"x{PDI}{RLO}y") == f"{FSI}x{RLO}y{PDI}"


def test_an_error_quoting_what_a_client_sent_spells_out_its_invisible_characters():
    from organizations.text import with_visible_controls

    detail = f'No match for the path emails[value eq "{RLO}zzz"].value'
    assert with_visible_controls(detail) == 'No match for the path emails[value eq "<U+202E>zzz"].value'
    assert with_visible_controls("a\u200bb\ufeff") == "a<U+200B>b<U+FEFF>"
    assert with_visible_controls("Zoë, שלום") == "Zoë, שלום"  # letters are not controls


def test_a_name_of_nothing_visible_is_no_name():
    from organizations.text import shown

    assert shown("\u200b \u200b") == "" and shown("  ") == "" and shown(RLO) == ""
    assert shown("Ada\u200b") == "Ada\u200b"


def test_a_paragraph_separator_cannot_end_the_isolate_early():
    # U+2029 ends a bidi paragraph, and an isolate with it: inside a value it becomes a space.
    from organizations.text import with_visible_controls

    assert isolated(f"x\u2029{RLO}evil") == f"{FSI}x {RLO}evil{PDI}"
    assert with_visible_controls("x\u2028y\u2029z") == "x<U+2028>y<U+2029>z"
