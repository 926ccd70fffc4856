from .entry import main

if __name__ == "__main__":  # not when a spawned process (Dask's workers) re-imports it
    main()
