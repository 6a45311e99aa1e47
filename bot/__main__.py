from bot.app import main

# Guarded: the spreadsheet reader (models/spreadsheet/offloaded.py) starts with multiprocessing
# "spawn", which imports the main module of a script run by its path.
if __name__ == "__main__":
    main()
