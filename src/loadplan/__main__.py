from loadplan.cli import main

main()
