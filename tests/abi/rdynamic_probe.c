/*
 * A program linked with -rdynamic on purpose, exporting a host-like
 * function: the negative control that shows check_symbols.sh notices an
 * executable plugins could bind to.
 */
int daemon_like_function(int x);
int daemon_like_function(int x)
{
    return x + 1;
}

int main(int argc, char **argv)
{
    (void)argv;
    return daemon_like_function(argc) == 0;
}
