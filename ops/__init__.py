"""Operations scripts: the network stack's parameters, the restore drill, feature environments."""
