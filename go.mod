module github.com/demhost/demhost

go 1.26
