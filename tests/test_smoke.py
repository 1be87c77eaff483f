from memtree import Memory


def test_add_and_get(memory: Memory) -> None:
    made = memory.add("Hello", "general/notes", "Body text")
    assert memory.get(made.id).body == "Body text\n" or memory.get(made.id).body == "Body text"
