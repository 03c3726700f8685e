"""RFC 9162 tree math: heads against the RFC's recursive definition and CT's test vectors; every inclusion and
consistency proof up to 33 leaves checked by the standalone verifier's algorithms and refused after one bit."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from transparency import merkle

TOOL = Path(__file__).resolve().parents[1] / "tools" / "verify_proof.py"
# The certificate-transparency project's test leaves and the head of all eight (RFC 6962 reference tests).
CT_LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                        "606162636465666768696a6b6c6d6e6f")]
CT_HEAD_8 = "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("verify_proof", TOOL)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def mth(leaves: list[bytes]) -> bytes:
    """MTH straight from RFC 9162 section 2.1.1."""
    if not leaves:
        return merkle.EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return merkle.node_hash(mth(leaves[:k]), mth(leaves[k:]))


def built(count: int) -> tuple[list[bytes], dict[tuple[int, int], bytes], list[list[bytes]]]:
    """Leaves, every perfect node, and the frontier after each append."""
    leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(count)]
    nodes = {(0, i): leaf for i, leaf in enumerate(leaves)}
    frontier: list[bytes] = []
    frontiers = [[]]
    for i, leaf in enumerate(leaves):
        nodes.update({(level, index): h for level, index, h in merkle.append(frontier, i, leaf)})
        frontiers.append(list(frontier))
    return leaves, nodes, frontiers


def test_heads_match_the_rfc_and_the_ct_vectors() -> None:
    leaves = [merkle.leaf_hash(data) for data in CT_LEAVES]
    frontier: list[bytes] = []
    for i, leaf in enumerate(leaves):
        merkle.append(frontier, i, leaf)
    assert merkle.root(frontier).hex() == CT_HEAD_8
    assert merkle.leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    hashes, nodes, frontiers = built(70)
    for size in range(71):
        assert merkle.root(frontiers[size]) == mth(hashes[:size])
        assert [nodes[n] for n in merkle.frontier_nodes(size)] == frontiers[size]


def test_every_inclusion_proof_verifies_and_one_bit_breaks_it(tool: ModuleType) -> None:
    hashes, nodes, frontiers = built(33)
    for size in range(1, 34):
        head = merkle.root(frontiers[size])
        for index in range(size):
            path = merkle.inclusion_path(index, size, lambda level, i: nodes[(level, i)])
            assert tool.inclusion_holds(hashes[index], index, size, path, head)
            assert merkle.inclusion_holds(hashes[index], index, size, path, head)
            if path:
                flipped = [bytes([path[0][0] ^ 1]) + path[0][1:], *path[1:]]
                assert not tool.inclusion_holds(hashes[index], index, size, flipped, head)
            assert not tool.inclusion_holds(bytes([hashes[index][0] ^ 0x80]) + hashes[index][1:], index, size,
                                            path, head)


def test_every_consistency_proof_verifies_and_a_rewritten_history_does_not(tool: ModuleType) -> None:
    hashes, nodes, frontiers = built(33)
    for size in range(1, 34):
        for old in range(0, size + 1):
            path = merkle.consistency_path(old, size, lambda level, i: nodes[(level, i)])
            old_head, head = merkle.root(frontiers[old]), merkle.root(frontiers[size])
            assert tool.consistency_holds(old, size, old_head, head, path), (old, size)
            if 0 < old < size:
                other = bytes([old_head[0] ^ 1]) + old_head[1:]
                assert not tool.consistency_holds(old, size, other, head, path)
                if path:
                    flipped = [*path[:-1], bytes([path[-1][0] ^ 1]) + path[-1][1:]]
                    assert not tool.consistency_holds(old, size, old_head, head, flipped)


def test_a_proof_reads_log_n_nodes() -> None:
    size = 1_000_003
    wanted = merkle.nodes_needed(lambda node: merkle.inclusion_path(123_457, size, node))
    assert len(wanted) <= 2 * size.bit_length()
    wanted = merkle.nodes_needed(lambda node: merkle.consistency_path(654_321, size, node))
    assert len(wanted) <= 2 * size.bit_length()


def test_an_event_leaf_is_the_documented_bytes() -> None:
    """docs/transparency.md: id (8) | originator UUID (16) | version (8) | len(topic) (4) | topic | state."""
    uuid = "89b91ca0c043518b9975a582c7727a0b"
    expected = bytes.fromhex("000000000000001e" + uuid + "0000000000000001" + "00000005") + b"T.Rec" + b'{"a":1}'
    for originator in (uuid, "89b91ca0-c043-518b-9975-a582c7727a0b", __import__("uuid").UUID(uuid)):
        assert merkle.event_leaf(30, originator, 1, "T.Rec", b'{"a":1}') == expected
