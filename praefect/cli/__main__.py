from praefect.cli import main

main()
