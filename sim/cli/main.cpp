// kvsim command line (placeholder while the verbs are built).
int main() { return 0; }
