"""Each member who may export can hold their own copy of the key, granted by someone who has unlocked it."""
import pytest

from petitions import sealing
from petitions.extensions import db
from petitions.organiser.protection import unlock

from .conftest import PASSPHRASE


def test_a_member_granted_a_copy_unlocks_with_their_own_passphrase(app, protected_petition, make_member):
    editor = make_member(email="editor@r.example", role="editor")
    org_id = protected_petition.organisation_id
    opener = unlock(org_id, "owner", "grant", passphrase=PASSPHRASE)
    sealing.grant(opener, org_id, editor, "the editor's very own passphrase")
    opener.close()
    db.session.commit()
    assert editor.id in sealing.wrap_holders(org_id) and None in sealing.wrap_holders(org_id)
    mine = unlock(org_id, editor, "export", passphrase="the editor's very own passphrase", account=editor)
    assert mine.public_key == sealing.public_key_of(org_id)
    # Someone without a copy of their own still opens the operator's copy with its passphrase.
    assert unlock(org_id, "cli", "export", passphrase=PASSPHRASE).public_key == mine.public_key
    with pytest.raises(sealing.WrongKey):
        unlock(org_id, editor, "export", passphrase=PASSPHRASE, account=editor)  # their copy has their passphrase


def test_a_grant_needs_a_long_enough_passphrase_and_the_organisation_key(app, protected_petition, make_member,
                                                                        make_petition):
    editor = make_member(email="editor@r.example", role="editor")
    org_id = protected_petition.organisation_id
    opener = unlock(org_id, "owner", "grant", passphrase=PASSPHRASE)
    with pytest.raises(sealing.WeakPassphrase):
        sealing.grant(opener, org_id, editor, "short")
    stranger = sealing.RowOpener(org_id, sealing.crypto.new_key_pair()[0])
    with pytest.raises(sealing.WrongKey):
        sealing.grant(stranger, org_id, editor, "a long enough passphrase")


@pytest.mark.parametrize("change", ["remove", "viewer"])
def test_a_member_removed_or_made_a_viewer_keeps_no_copy_of_the_key(app, protected_petition, make_member, change):
    from petitions.accounts import services
    from petitions.models import Membership

    editor = make_member(email="editor@r.example", role="editor")
    org_id = protected_petition.organisation_id
    opener = unlock(org_id, "owner", "grant", passphrase=PASSPHRASE)
    sealing.grant(opener, org_id, editor, "the editor's very own passphrase")
    opener.close()
    db.session.commit()
    assert editor.id in sealing.wrap_holders(org_id)
    membership = db.session.query(Membership).filter_by(organisation_id=org_id, account_id=editor.id).one()
    if change == "remove":
        services.remove_member(membership, "owner")
    else:
        services.set_role(membership, "viewer", "owner")
    db.session.commit()
    # The copy would still open every sealed row for someone the organisation no longer trusts with them.
    assert editor.id not in sealing.wrap_holders(org_id) and None in sealing.wrap_holders(org_id)
    with pytest.raises(sealing.WrongKey):
        unlock(org_id, editor, "export", passphrase="the editor's very own passphrase", account=editor)
