"""The cryptography of sealed signer data: what opens a record, and what does not."""
import pytest

from petitions.sealing import crypto


def test_a_record_sealed_by_an_ephemeral_key_opens_only_with_the_organisation_private_key():
    private, public = crypto.new_key_pair()
    other_private, _ = crypto.new_key_pair()
    sealer = crypto.EphemeralSealer(public)
    sealed = sealer.seal({"email": "zoya@example.org", "full_name": "Зоя", "city": None})
    assert b"zoya" not in sealed and "Зоя".encode() not in sealed

    opener = crypto.Opener(private)
    opener.add_sealing_key(7, sealer.public_key)
    assert opener.open(7, sealed) == {"email": "zoya@example.org", "full_name": "Зоя", "city": None}

    stranger = crypto.Opener(other_private)
    stranger.add_sealing_key(7, sealer.public_key)
    with pytest.raises(crypto.SealedDataError):
        stranger.open(7, sealed)


def test_the_same_record_sealed_twice_gives_different_bytes():
    _, public = crypto.new_key_pair()
    sealer = crypto.EphemeralSealer(public)
    assert sealer.seal({"a": "b"}) != sealer.seal({"a": "b"})


def test_an_altered_record_is_refused():
    private, public = crypto.new_key_pair()
    sealer = crypto.EphemeralSealer(public)
    sealed = bytearray(sealer.seal({"email": "a@b.example"}))
    sealed[-1] ^= 1
    opener = crypto.Opener(private)
    opener.add_sealing_key(1, sealer.public_key)
    with pytest.raises(crypto.SealedDataError):
        opener.open(1, bytes(sealed))


def test_a_wrapped_key_opens_with_its_passphrase_and_no_other():
    private, _ = crypto.new_key_pair()
    stored = crypto.wrap(private, "a long enough passphrase", "cheapest")
    assert private not in stored["wrapped"]
    assert crypto.unwrap(passphrase="a long enough passphrase", **stored) == private
    with pytest.raises(crypto.WrongKey):
        crypto.unwrap(passphrase="a long enough passphrasE", **stored)


def test_a_recovery_kit_gives_back_the_key_and_shows_its_fingerprint():
    private, public = crypto.new_key_pair()
    kit = crypto.recovery_kit("Viasna", private, "2026-12-01")
    assert crypto.fingerprint(public) in kit
    assert crypto.read_recovery_kit(kit) == private


def test_a_damaged_recovery_kit_is_refused():
    private, _ = crypto.new_key_pair()
    kit = crypto.recovery_kit("Viasna", private, "2026-12-01")
    lines = kit.splitlines()
    index = lines.index(crypto.KIT_BEGIN) + 1
    lines[index] = ("B" if lines[index][0] != "B" else "C") + lines[index][1:]
    with pytest.raises(crypto.BadRecoveryKit):
        crypto.read_recovery_kit("\n".join(lines))
    with pytest.raises(crypto.BadRecoveryKit):
        crypto.read_recovery_kit("not a kit")


def test_the_fingerprint_is_32_hex_digits_in_groups_of_four():
    _, public = crypto.new_key_pair()
    groups = crypto.fingerprint(public).split(" ")
    assert len(groups) == 8 and all(len(g) == 4 and int(g, 16) >= 0 for g in groups)


@pytest.mark.parametrize("values", [
    {"email": "a@b.example", "full_name": "Зоя Ü", "city": None},
    {"email": "", "full_name": "", "city": ""},
    {"contact_name": "with\x00nul", "contact_role": "\x01", "email": None},
    {"{odd": "key", "city": None},
    {},
])
def test_a_record_comes_back_exactly_as_it_was_sealed(values):
    assert crypto.decode_record(crypto.encode_record(values)) == values
