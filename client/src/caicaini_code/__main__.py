from caicaini_code.cli import main

main()
