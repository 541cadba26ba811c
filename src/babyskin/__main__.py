from babyskin.cli import main

main()
